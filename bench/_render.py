"""Renderers for `bench plan`: rich tables for the terminal, Markdown for GitHub."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from bench._plan import CtxPlan, PlanResult, flags
from probe._render import human_bytes

VERDICT = {
    "gpu": "[green]GPU[/]",
    "partial": "[yellow]partial[/]",
    "cpu": "[cyan]CPU[/]",
    "none": "[red]no[/]",
}


def _mem(c: CtxPlan) -> str:
    parts = []
    for d in c.fit.prediction.devices:
        if d.total_bytes == 0 or (
            d.device == "host"
            and d.layers == 0
            and len(c.fit.prediction.devices) > 1
            and d.weights_bytes == 0
        ):
            continue
        parts.append(f"{d.device.split(' ')[0]} {human_bytes(d.total_bytes)}")
    text = ", ".join(parts)
    if c.exact is not None:
        text += f" (llama.cpp: {human_bytes(c.exact.host.total_bytes)})"
    return text


def _header(r: PlanResult) -> str:
    where = f"{r.repo}@{(r.revision or '')[:12]}" if r.repo else r.model
    return (
        f"{where} on {r.host}; engine: {r.engine}; read {human_bytes(r.bytes_read)} "
        f"in {r.seconds:.2f} s"
    )


def render_text(r: PlanResult) -> RenderableType:
    t = Table(title=_header(r), title_justify="left")
    for col in (
        "quant",
        "file",
        "ctx",
        "fits",
        "how",
        "memory (predicted)",
        "rule of thumb",
        "max ctx",
        "llama.cpp flags",
    ):
        t.add_column(col)
    notes = []
    for q in r.quants:
        for i, c in enumerate(q.contexts):
            t.add_row(
                q.quant if i == 0 else "",
                human_bytes(q.size_bytes) if i == 0 else "",
                str(c.n_ctx),
                VERDICT[c.fit.verdict],
                c.fit.description,
                _mem(c),
                human_bytes(q.rule_of_thumb_bytes) if i == 0 else "",
                str(q.max_ctx) if i == 0 else "",
                flags(q.spec, c.fit.cfg),
            )
            if q.spec.n_ctx_train and c.n_ctx > q.spec.n_ctx_train:
                notes.append(
                    f"{q.quant}: ctx {c.n_ctx} is beyond the model's training context "
                    f"({q.spec.n_ctx_train})"
                )
    parts: list[RenderableType] = [t]
    parts += [Text(f"note: {n}", style="yellow") for n in dict.fromkeys(notes)]
    return Group(*parts)


def render_md(r: PlanResult) -> str:
    lines = [
        f"### {_header(r)}",
        "",
        "| quant | file | ctx | fits | how | memory (predicted) | rule of thumb | max ctx "
        "| llama.cpp flags |",
        "|---|---:|---:|---|---|---|---:|---:|---|",
    ]
    for q in r.quants:
        for c in q.contexts:
            lines.append(
                f"| {q.quant} | {human_bytes(q.size_bytes)} | {c.n_ctx} | {c.fit.verdict} | "
                f"{c.fit.description} | {_mem(c)} | {human_bytes(q.rule_of_thumb_bytes)} | "
                f"{q.max_ctx} | `{flags(q.spec, c.fit.cfg)}` |"
            )
    return "\n".join(lines) + "\n"

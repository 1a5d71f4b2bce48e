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


def _tps(x: float) -> str:
    return f"{x:,.1f}" if x < 1000 else f"{x:,.0f}"


def render_predictions(spec, host, preds) -> RenderableType:
    from bench._speed import SpeedPrediction

    first: SpeedPrediction = preds[0][1]
    cal = (
        f"calibrated on {first.calibrated_points} points"
        if first.calibrated_points
        else "uncalibrated"
    )
    title = (
        f"{spec.name or spec.architecture} {spec.quant or ''} on {host.source} "
        f"({first.backend}, {cal}; {first.predictor} v{first.predictor_version})"
    )
    t = Table(title=title, title_justify="left")
    for col in (
        "depth",
        "pp t/s",
        "pp bound by",
        "pp ceiling",
        "tg t/s",
        "tg bound by",
        "tg ceiling",
        f"TTFT ({preds[0][0].n_prompt} tok)",
    ):
        t.add_column(col)
    for cfg, p in preds:
        t.add_row(
            str(cfg.n_depth),
            _tps(p.pp_tokens_per_s),
            p.pp_dominant,
            _tps(p.pp_ceiling_tokens_per_s),
            _tps(p.tg_tokens_per_s),
            p.tg_dominant,
            _tps(p.tg_ceiling_tokens_per_s),
            f"{p.ttft_s * 1000:,.0f} ms",
        )
    terms = preds[0][1].tg_terms_s
    note = "tg per token: " + ", ".join(f"{k} {v * 1000:.2f} ms" for k, v in terms.items() if v)
    return Group(t, Text(note, style="dim"))


def predictions_json(spec, host, preds) -> dict:
    from dataclasses import asdict

    from bench._speed import PREDICTOR_VERSION

    return {
        "schema_version": 1,
        "predictor_version": PREDICTOR_VERSION,
        "host": host.source,
        "model": {
            "name": spec.name,
            "architecture": spec.architecture,
            "quant": spec.quant,
            "n_params": spec.n_params,
            "weight_bytes": spec.weight_bytes,
        },
        "predictions": [{"config": asdict(c), **asdict(p)} for c, p in preds],
    }


def render_sweep(results) -> RenderableType:
    from bench._sweep import summarise

    parts: list[RenderableType] = []
    for target, s in results:
        t = Table(
            title=f"{target.label}: {s.ok} ok, {s.failed} failed, {s.skipped} skipped, "
            f"{s.resumed} resumed; {s.processes} engine processes, {s.wall_seconds:.0f} s "
            f"(sweep {s.sweep_id})",
            title_justify="left",
        )
        for col in ("test", "status", "measured t/s", "predicted t/s", "error", "why"):
            t.add_column(col)
        for r in summarise(s.rows):
            meas = "" if r["measured"] is None else f"{r['measured']:.1f} ± {r['stddev'] or 0:.1f}"
            pred = "" if r["predicted"] is None else f"{r['predicted']:.1f}"
            err = "" if r["error"] is None else f"{r['error']:+.0%}"
            status = {"ok": "[green]ok[/]", "failed": "[red]failed[/]"}.get(
                r["status"], "[yellow]skipped[/]"
            )
            t.add_row(r["test"], status, meas, pred, err, r["why"] or "")
        parts.append(t)
    return Group(*parts)

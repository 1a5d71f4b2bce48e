"""Renderers for the bench commands: rich tables for the terminal, Markdown for GitHub.

User text (model names, paths, repo ids, messages) is printed literally: the consoles are made
with markup and emoji off, and our own colours are Text objects, so ``synth:llama:250M`` or
``[bold]`` in a name reach the terminal as typed."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

import probe
from bench.model import Made, human_params
from bench.predictor import CalibrationFit, CtxPlan, PlanResult, PredictResult, flags
from bench.run import EngineInfo, SweepOutcome, summarise
from probe import human_bytes
from probe.tables import Cell, Column, FitTable

VERDICT = {
    "gpu": ("GPU", "green"),
    "partial": ("partial", "yellow"),
    "cpu": ("CPU", "cyan"),
    "none": ("no", "red"),
}
STATUS_STYLE = {"ok": "green", "failed": "red", "skipped": "yellow"}


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
    """One row per quant and context; at 80 columns the llama.cpp flags move below the table,
    one line per row, rather than wrapping inside it."""
    cols = [
        Column("quant"),
        Column("file", right=True, drop=2),
        Column("ctx", right=True),
        Column("fits"),
        Column("how", drop=5),
        Column("memory (predicted)", drop=1),
        Column("rule of thumb", right=True, drop=6),
        Column("max ctx", right=True, drop=3),
        Column("llama.cpp flags", drop=4, spill=True),
    ]
    rows: list[list[Cell]] = []
    keys: list[str] = []
    notes = []
    for q in r.quants:
        for i, c in enumerate(q.contexts):
            rows.append(
                [
                    q.quant if i == 0 else "",
                    human_bytes(q.size_bytes) if i == 0 else "",
                    str(c.n_ctx),
                    Text(*VERDICT[c.fit.verdict]),
                    c.fit.description,
                    _mem(c),
                    human_bytes(q.rule_of_thumb_bytes) if i == 0 else "",
                    str(q.max_ctx) if i == 0 else "",
                    flags(q.spec, c.fit.cfg),
                ]
            )
            keys.append(f"{q.quant} ctx {c.n_ctx}")
            if q.spec.n_ctx_train and c.n_ctx > q.spec.n_ctx_train:
                notes.append(
                    f"{q.quant}: ctx {c.n_ctx} is beyond the model's training context "
                    f"({q.spec.n_ctx_train})"
                )
    parts: list[RenderableType] = [FitTable(cols, rows, title=Text(_header(r)), keys=keys)]
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


def render_predictions(results: list[PredictResult]) -> RenderableType:
    return Group(*(_prediction_table(r) for r in results))


def _with_interval(tps: float, interval: tuple[float, float] | None) -> str:
    """``141.1 (114-181)``: the prediction and its 80 % interval."""
    if interval is None:
        return _tps(tps)
    return f"{_tps(tps)} ({_tps(interval[0])}-{_tps(interval[1])})"


def _prediction_table(r: PredictResult) -> RenderableType:
    preds = r.points
    if not preds:  # nothing predicted: the notes say why
        return Group(*(Text(f"{r.source.label}: {n}", style="yellow") for n in r.notes))
    first = preds[0][1]
    cal = (
        f"calibrated on {first.calibrated_points} points"
        if first.calibrated_points
        else "uncalibrated"
    )
    title = (
        f"{r.source.label} ({r.source.spec.architecture}) on {r.host.source} "
        f"({first.backend}, {cal}; {first.predictor} v{first.predictor_version})"
    )
    cols = [
        Column("depth", right=True),
        Column("pp t/s", right=True),
        Column("pp bound by", drop=3),
        Column("pp ceiling", right=True, drop=4),
        Column("tg t/s", right=True),
        Column("tg bound by", drop=3),
        Column("tg ceiling", right=True, drop=4),
        Column(f"TTFT ({preds[0][0].n_prompt} tok)", right=True, drop=1),
    ]
    rows = [
        [
            str(cfg.n_depth),
            _with_interval(p.pp_tokens_per_s, p.pp_interval_tokens_per_s),
            p.pp_dominant,
            _tps(p.pp_ceiling_tokens_per_s),
            _with_interval(p.tg_tokens_per_s, p.tg_interval_tokens_per_s),
            p.tg_dominant,
            _tps(p.tg_ceiling_tokens_per_s),
            f"{p.ttft_s * 1000:,.0f} ms",
        ]
        for cfg, p in preds
    ]
    t = FitTable(cols, rows, title=Text(title))
    terms = first.tg_terms_s
    note = "tg per token: " + ", ".join(f"{k} {v * 1000:.2f} ms" for k, v in terms.items() if v)
    if first.tg_interval_tokens_per_s is not None:
        note += "; (low-high): 80 % interval, from held-out published results or calibration"
    notes = [Text(f"note: {n}", style="yellow") for n in r.notes]
    return Group(t, Text(note, style="dim"), *notes)


def render_sweep(outcome: SweepOutcome) -> RenderableType:
    parts: list[RenderableType] = []
    for target, s in outcome.results:
        title = (
            f"{target.label}: {s.ok} ok, {s.failed} failed, {s.skipped} skipped, "
            f"{s.resumed} resumed; {s.processes} engine processes, {s.wall_seconds:.0f} s "
            f"(sweep {s.sweep_id})"
        )
        rows: list[list[Cell]] = []
        for r in summarise(s.points, s.max_cv):
            meas = "" if r["measured"] is None else f"{r['measured']:.1f} ± {r['stddev'] or 0:.1f}"
            if r["unstable"]:
                meas += " (unstable)"
            pred = "" if r["predicted"] is None else f"{r['predicted']:.1f}"
            err = "" if r["error"] is None else f"{r['error']:+.0%}"
            status = Text(r["status"], style=STATUS_STYLE.get(r["status"], ""))
            rows.append([Text(r["test"]), status, meas, pred, err, Text(r["why"] or "")])
        cols = [
            Column("test"),
            Column("status"),
            Column("measured t/s", right=True),
            Column("predicted t/s", right=True),
            Column("error", right=True),
            Column("why", drop=1),
        ]
        parts.append(FitTable(cols, rows, title=Text(title)))
    return Group(*parts)


def render_engines(infos: list[EngineInfo]) -> RenderableType:
    cols = [
        Column("engine"),
        Column("version"),
        Column("commit", drop=2),
        Column("backends", drop=3),
        Column("devices", drop=4),
        Column("path (found by)", drop=5, spill=True),
    ]
    rows: list[list[Cell]] = [
        [
            i.kind,
            Text(i.version or "?"),
            Text(i.build_commit or ""),
            ", ".join(i.backends),
            Text("; ".join(i.devices) or "-"),
            Text(f"{i.path} ({i.found_by})"),
        ]
        for i in infos
    ]
    return FitTable(cols, rows, title="llama.cpp engines", keys=[i.kind for i in infos])


def engine_warnings(infos: list[EngineInfo], found: bool) -> list[Text]:
    out = [
        Text.assemble(("warning:", "yellow"), f" {i.kind} at {i.path} is not trusted: {i.problem}")
        for i in infos
        if i.problem
    ]
    if not found:
        out.append(Text("llama-bench: not found; build one with: bench engines build"))
    return out


def synth_dict(made: Made) -> dict[str, Any]:
    r = made.result
    return {
        "path": str(r.path),
        "cached": r.cached,
        "seconds": r.seconds,
        "size_bytes": r.size_bytes,
        "n_params": made.n_params,
        "n_active_params": made.n_active_params,
        "spec": made.spec,
    }


def synth_line(made: Made) -> str:
    r = made.result
    how = "from cache" if r.cached else f"in {r.seconds:.1f} s"
    return f"{r.path}  {r.size_bytes / 1e6:.1f} MB  {human_params(made.n_params)} params  {how}"


def _counted(items: list[str], sep: str) -> str:
    """``["80 GiB"] * 8`` -> ``8 x 80 GiB``; different items joined by ``sep``."""
    counts = Counter(items)
    return sep.join(f"{n} x {v}" if n > 1 else v for v, n in counts.items())


def render_catalog(entries: tuple[Any, ...]) -> RenderableType:
    rows = []
    for e in entries:
        # "8 x 80 GiB", not eight sums: a multi-GPU node stays one short cell.
        mem = _counted([f"{g.mem_gib:g} GiB" for g in e.gpus], " + ") or f"{e.ram_gib:g} GiB RAM"
        bw = _counted([f"{g.bw_gbs:g}" for g in e.gpus], " / ") or f"{e.ram_bw_gbs:g}"
        cpu = probe.load_host(e.name).cpu
        peak = (
            f"{e.gpus[0].fp16_tflops:g} TFLOPS"
            if e.gpus
            else f"{((cpu and cpu.spec_fp32_flops) or 0) / 1e12:.1f} TFLOPS"
        )
        rows.append([e.name, e.title, mem, f"{bw} GB/s", peak])
    cols = [
        Column("name"),
        Column("machine", drop=2),
        Column("memory"),
        Column("bandwidth", right=True, drop=1),
        Column("FP16 / FP32 peak", right=True, drop=3),
    ]
    return FitTable(cols, rows, title="hardware catalog")


def calibration_line(f: CalibrationFit) -> str:
    c = f.calibration
    sd = f"{c.residual_sd:.3f}" if c.residual_sd is not None else "n/a"
    # with the socket fitted apart, k_bw is the threads' (Calibration.k_socket)
    bw = (
        f"k_bw {c.k_bw:.3f}"
        if c.k_socket is None
        else f"k_bw (threads) {c.k_bw:.3f}, k_socket {c.k_socket:.3f}"
    )
    return (
        f"{f.backend}: {bw}, k_compute {c.k_compute:.3f}, k_attn {c.k_attn:.3f}"
        f" from {c.n_points} points ({f.tg_points} tg, {f.pp_points} pp); "
        f"residual sd of log ratio {sd}"
    )

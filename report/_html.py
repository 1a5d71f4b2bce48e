"""The HTML report: one self-contained file (inline SVG and CSS, no network) with the parity
plot, the error histogram, a chart per swept axis, memory against context, the best
configuration for the objective, the Pareto set, failures and every point."""

from __future__ import annotations

import json
from collections.abc import Callable
from html import escape
from typing import Any

from probe import human_bytes
from report import _best
from report._charts import Parity, Point, Series, histogram, parity, sweep_chart
from report._data import AXES, AXIS_LABEL, Part, Report, Row, varying
from report._render import (
    _num,
    _pct,
    _plural,
    acc_line,
    cfg_label,
    config_of,
    context_limits,
    failures,
    fmt_value,
    host_lines,
    model_lines,
    objective_line,
    table_axes,
    test_name,
    where_axes,
)

MAX_SERIES = 12  # lines per chart; more is unreadable: the fastest are kept, the page says so
PARETO_HTML = 50
LOG2_AXES = ("n_ubatch", "n_batch", "n_prompt", "n_gen")
CATEGORICAL = ("flash_attn", "type_k", "type_v", "quant", "no_op_offload")
AXIS_NAMES = [a for a, _, _ in AXES]


def _config(r: Row, sweep: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {a: r.value(a) for a in AXIS_NAMES}
    if sweep is not None:
        out["sweep"] = sweep
    return out


def _title(r: Row, axes: list[str]) -> str:
    meas = f"measured {_num(r.measured)} ± {_num(r.stddev)}" if r.measured else r.status
    pred = f", predicted {_num(r.predicted)}" if r.predicted else ""
    err = f" ({_pct(r.error)})" if r.error is not None else ""
    return f"{test_name(r)} {cfg_label(r, axes)}: {meas}{pred}{err}".replace("  ", " ")


def _ok(rep: Report) -> list[tuple[int | None, Row]]:
    many = len(rep.parts) > 1
    return [
        (p.sweep_id if many else None, r)
        for p in rep.parts
        for r in p.rows
        if r.status == "ok" and r.measured
    ]


def chart_axes(rep: Report) -> list[str]:
    """The axes that get a chart: those that vary over the measured points of pp or tg."""
    ok = [r for _, r in _ok(rep)]
    kinds = [[r for r in ok if r.kind == k] for k in ("pp", "tg")]
    return [a for a in AXIS_NAMES if any(a in varying(rows, [a]) for rows in kinds)]


def _series(
    group: list[tuple[int | None, Row]], axis: str, others: list[str], scale: str, cats: list[str]
) -> Series:
    """One line of an axis chart: points that share every axis value but ``axis``."""
    sweep, first = group[0]
    fixed: dict[str, Any] = {a: first.value(a) for a in others}
    if sweep is not None:
        fixed["sweep"] = sweep
    name = cfg_label(first, others) or "all points"
    s = Series(
        f"#{sweep} {name}" if sweep is not None else name,
        config=json.dumps(fixed, sort_keys=True),
    )
    for sweep, r in group:
        v = r.value(axis)
        x = float(cats.index(fmt_value(axis, v))) if scale == "cat" else float(v)
        s.points.append(
            Point(
                x,
                r.measured or 0.0,
                r.stddev or 0.0,
                json.dumps(_config(r, sweep), sort_keys=True),
                _title(r, [axis, *others]),
            )
        )
        if r.predicted:
            lo, hi = r.interval if r.interval else (None, None)
            s.predicted.append((x, r.predicted, lo, hi))
    return s


def _axis_figure(rep: Report, axis: str) -> str:
    ok = _ok(rep)
    panels = []
    for kind in ("pp", "tg"):
        rows = [(s, r) for s, r in ok if r.kind == kind]
        if axis not in varying([r for _, r in rows], [axis]):
            continue
        others = [a for a in varying([r for _, r in rows]) if a != axis]
        cats: list[str] = []
        scale = "log2" if axis in LOG2_AXES else "linear"
        if axis in CATEGORICAL or (
            axis == "n_gpu_layers" and any(r.cfg.n_gpu_layers < 0 for _, r in rows)
        ):
            scale = "cat"
            cats = sorted({fmt_value(axis, r.value(axis)) for _, r in rows})
        groups: dict[tuple[Any, ...], list[tuple[int | None, Row]]] = {}
        for sweep, r in rows:
            groups.setdefault((sweep, *(r.value(a) for a in others)), []).append((sweep, r))
        # The fastest series only, chosen before any point is drawn: a 10,000-point sweep has
        # hundreds of series per axis and building all of them costs seconds.
        ranked = sorted(groups.values(), key=lambda g: -max(r.measured or 0 for _, r in g))
        note = ""
        if len(ranked) > MAX_SERIES:
            note = f" ({MAX_SERIES} fastest of {len(ranked)} series)"
            ranked = ranked[:MAX_SERIES]
        series = [_series(g, axis, others, scale, cats) for g in ranked]
        label = AXIS_LABEL[axis]
        panels.append(
            sweep_chart(
                f"axis-{axis}-{kind}",
                f"{kind} tokens/s vs {label}{note}",
                label,
                f"{kind} tokens/s",
                axis,
                series,
                scale=scale,
                categories=cats,
            )
        )
    return (
        f'<figure class="axis-chart" id="axis-{axis}" data-axis="{axis}">'
        + "".join(panels)
        + "</figure>"
    )


def _parity(rep: Report) -> str:
    pts = []
    axes = [a for a in AXIS_NAMES if a not in ("n_prompt", "n_gen")]
    for _, r in _ok(rep):
        if r.predicted and r.comparable and r.measured:
            pts.append(
                Parity(
                    r.measured,
                    r.predicted,
                    r.kind,
                    r.calibrated_points > 0,
                    _title(r, axes),
                    r.interval,
                )
            )
    return parity("parity", pts)


def _histogram(rep: Report) -> str:
    errs: dict[str, list[float]] = {"pp": [], "tg": []}
    for _, r in _ok(rep):
        if r.error is not None:
            errs[r.kind].append(r.error)
    return histogram("errors", errs)


def _memory(rep: Report) -> str:
    many = len(rep.parts) > 1
    series: dict[str, Series] = {}
    limit = None
    for p in rep.parts:
        axes = [a for a in table_axes(p.rows) if a not in ("n_depth",)]
        for r in p.rows:
            ctx = float(r.ctx)
            if r.status == "failed":
                limit = ctx if limit is None else min(limit, ctx)
            if r.status != "ok":
                continue
            name = (f"#{p.sweep_id} " if many else "") + (cfg_label(r, axes) or "RSS")
            cfg = json.dumps(_config(r, p.sweep_id if many else None), sort_keys=True)
            s = series.setdefault(name, Series(name))
            if r.peak_rss_bytes:
                s.points.append(
                    Point(ctx, r.peak_rss_bytes / 2**30, 0.0, cfg, f"{name} ctx {ctx:.0f}: RSS")
                )
            if r.predicted_host_bytes:
                s.predicted.append((ctx, r.predicted_host_bytes / 2**30, None, None))
            if r.peak_gpu_total_bytes:
                g = series.setdefault(f"{name} GPU", Series(f"{name} GPU"))
                g.points.append(
                    Point(
                        ctx, r.peak_gpu_total_bytes / 2**30, 0.0, cfg, f"{name} ctx {ctx:.0f}: GPU"
                    )
                )
                if r.predicted_gpu_bytes:
                    g.predicted.append((ctx, sum(r.predicted_gpu_bytes) / 2**30, None, None))
    kept = [s for s in series.values() if s.points][:MAX_SERIES]
    return sweep_chart(
        "memory",
        "memory vs context: measured peak (points) vs predicted (dashed)",
        "context (tokens)",
        "GiB",
        "context",
        kept,
        limit_x=limit,
    )


def _quant_ladder(parts: tuple[Part, ...]) -> str:
    series = []
    for p in parts:
        size = p.model.get("size_bytes")
        best = max((r.measured for r in p.rows if r.kind == "tg" and r.measured), default=None)
        if size and best:
            series.append(Series(p.label, points=[Point(size / 2**30, best, title=p.label)]))
    if len(series) < 2:
        return ""
    return sweep_chart(
        "quant-ladder",
        "quant ladder: size vs generation speed",
        "file size (GiB)",
        "best tg tokens/s",
        "size",
        series,
    )


def chart_list(rep: Report) -> list[tuple[str, str, Callable[[], str]]]:
    """(anchor, title, builder) of every chart, in page order; Markdown links the anchors."""
    out: list[tuple[str, str, Callable[[], str]]] = [
        ("parity", "parity plot", lambda: _parity(rep)),
        ("errors", "error histogram", lambda: _histogram(rep)),
    ]
    for a in chart_axes(rep):
        out.append((f"axis-{a}", AXIS_LABEL[a], lambda a=a: _axis_figure(rep, a)))  # type: ignore[misc]
    out.append(("memory", "memory vs context", lambda: _memory(rep)))
    if len(rep.parts) > 1:
        out.append(("quant-ladder", "quant ladder", lambda: _quant_ladder(rep.parts)))
    return out


CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #ddd;padding:3px 8px;
text-align:right}td:first-child,th{text-align:left}td.l{text-align:left}tr.failed{background:#fee2e2}
tr.skipped{background:#fef9c3}.chart{border:1px solid #eee;margin:6px}.chart text{font-size:11px}
.chart .t{font-size:13px;font-weight:600}.grid{stroke:#eee}.axis{stroke:#888}.err{stroke-width:2}
.band{opacity:.08;stroke:none}.band-bar{stroke-width:6;opacity:.3}.limit{stroke:#b91c1c;
stroke-dasharray:3 3}.band20{fill:#f3f4f6}.band10{fill:#e5e7eb}.diag{stroke:#111}.ibar{opacity:.4}
figure{margin:0;display:inline-block}.bad{color:#b91c1c}.good{color:#047857}
code{background:#f3f4f6;padding:2px 4px}pre{white-space:pre-wrap;margin:0;text-align:left}"""

FILTER_JS = """function f(){var q=document.getElementById('q').value.toLowerCase();
document.querySelectorAll('table.points tbody tr').forEach(function(r){
r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':''})}"""


def _table(
    head: list[str], rows: list[list[str]], cls: str = "", row_cls: list[str] | None = None
) -> str:
    """Cells are HTML already (escape them first)."""
    h = [f"<table class='{cls}'><thead><tr>", *(f"<th>{escape(c)}</th>" for c in head)]
    h.append("</tr></thead><tbody>")
    for i, r in enumerate(rows):
        rc = f" class={row_cls[i]}" if row_cls else ""
        h.append(f"<tr{rc}>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>")
    h.append("</tbody></table>")
    return "".join(h)


def _breakdown(r: Row | None) -> str:
    if r is None or not (r.mem_measured and r.mem_predicted):
        return ""
    keys = ("weights_bytes", "kv_bytes", "compute_bytes")
    meas = "/".join(f"{r.mem_measured.get(k, 0) / 2**20:.0f}" for k in keys)
    pred = "/".join(f"{r.mem_predicted.get(k, 0) / 2**20:.0f}" for k in keys)
    return f"{meas} vs {pred}"


def _hb(x: int | None) -> str:
    return human_bytes(x) if x else ""


def render_html(rep: Report, objective: str = _best.DEFAULT_OBJECTIVE) -> str:
    h = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        # Self-contained by construction: the page may not fetch anything at all.
        "<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
        "<title>rigbench report</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>rigbench: measured vs predicted</h1><ul>",
    ]
    h += [f"<li>{escape(line)}</li>" for line in host_lines(rep)]
    h.append("</ul>")
    h.append(f"<p><b>Accuracy:</b> {escape(acc_line(rep))}</p>")
    h.append(f"<h2 id=best>Best configuration</h2><p>{escape(objective_line(objective))}</p>")
    top = _best.best(rep, objective)
    if top is None:
        h.append(f"<p>No configuration was measured for {escape(objective)}.</p>")
    else:
        h.append(
            f"<p><b>{escape(config_of(top, rep))}</b>: {escape(_best.describe(top))}<br>"
            f"<code>{escape(_best.server_command(top))}</code></p>"
        )
    front = _best.pareto(rep)
    n = _plural(len(front), "configuration")
    h.append(f"<h2 id=pareto>Pareto set (pp vs tg vs memory): {n}</h2>")
    h.append(
        _table(
            ["config", "tg t/s", "pp t/s", "TTFT s", "peak", "llama-server"],
            [
                [
                    escape(config_of(c, rep)),
                    _num(c.tg_tokens_per_s),
                    _num(c.pp_tokens_per_s),
                    f"{c.ttft_s:.2f}" if c.ttft_s is not None else "",
                    _hb(c.peak_bytes),
                    f"<code>{escape(_best.server_command(c))}</code>",
                ]
                for c in front[:PARETO_HTML]
            ],
        )
    )
    h += [f"<p class=bad>note: {escape(n)}</p>" for n in rep.notes]
    h.append("<div id=charts>" + "".join(build() for _, _, build in chart_list(rep)) + "</div>")
    for p in rep.parts:
        h.append(f"<h2>{escape(model_lines(p, rep)[0])}</h2>")
        h.append("<p>" + "<br>".join(escape(x) for x in model_lines(p, rep)[1:]) + "</p>")
        h.append("<h3>Memory and context limit</h3>")
        h.append(
            _table(
                [
                    "config",
                    "ran to ctx",
                    "peak RSS",
                    "predicted host",
                    "w/kv/compute MiB measured vs predicted",
                    "GPU peak",
                    "predicted GPU",
                    "stopped at",
                ],
                [
                    [
                        escape(label),
                        str(ok.ctx) if ok else "-",
                        _hb(ok.peak_rss_bytes) if ok else "",
                        _hb(ok.predicted_host_bytes) if ok else "",
                        _breakdown(ok),
                        _hb(ok.peak_gpu_total_bytes) if ok else "",
                        _hb(sum(ok.predicted_gpu_bytes)) if ok else "",
                        escape(f"ctx {stop.ctx}: {stop.reason}") if stop else "",
                    ]
                    for label, ok, stop in context_limits(p)
                ],
            )
        )
    bad = failures(rep)
    if bad:
        h.append(
            f"<h2 id=failures>Failed and skipped: {_plural(len(bad), 'point')}</h2>"
            "<p>Left out of the accuracy figures and the charts; counted in the summary.</p>"
        )
        rows = []
        for p, r in bad:
            tail = (
                f"<details><summary>stderr tail</summary><pre>{escape(r.stderr_tail)}</pre>"
                "</details>"
                if r.stderr_tail
                else ""
            )
            rows.append(
                [
                    escape(test_name(r)),
                    escape(cfg_label(r, where_axes(p))),
                    r.status,
                    escape(r.failure_class or r.skip_rule or ""),
                    escape(r.reason),
                    tail,
                ]
            )
        h.append(
            _table(
                ["test", "config", "status", "class or rule", "reason", "stderr"],
                rows,
                row_cls=[r.status for _, r in bad],
            )
        )
    h.append('<p><label>filter (test, config, status): <input id=q oninput="f()"></label></p>')
    for p in rep.parts:
        axes = table_axes(p.rows)
        h.append(f"<h2>{escape(p.label)}: points</h2>")
        head = ["test", *(AXIS_LABEL[a] for a in axes)]
        head += ["status", "measured t/s", "predicted t/s", "80% interval", "error"]
        head += ["bound by", "of ceiling", "peak RSS", "predicted host", "GPU peak"]
        rows = []
        for r in p.rows:
            err = r.error
            cls = "bad" if err is not None and abs(err) > 0.25 else "good"
            rows.append(
                [
                    escape(test_name(r)),
                    *(escape(fmt_value(a, r.value(a))) for a in axes),
                    escape(r.status if r.status == "ok" else r.reason),
                    f"{_num(r.measured)} ± {_num(r.stddev)}" if r.measured else "",
                    _num(r.predicted) + ("" if r.comparable else " (not comparable)"),
                    f"{_num(r.interval[0])}-{_num(r.interval[1])}" if r.interval else "",
                    f"<span class={cls}>{_pct(err)}</span>",
                    escape(r.dominant or ""),
                    f"{r.efficiency:.0%}" if r.efficiency else "",
                    _hb(r.peak_rss_bytes),
                    _hb(r.predicted_host_bytes),
                    _hb(r.peak_gpu_total_bytes),
                ]
            )
        h.append(_table(head, rows, "points", [r.status for r in p.rows]))
    h.append(f"<script>{FILTER_JS}</script></body></html>")
    return "\n".join(h)

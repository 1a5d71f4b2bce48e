"""Report renderers: terminal (rich), Markdown (GitHub step summary), self-contained HTML."""

from __future__ import annotations

from html import escape

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from probe import human_bytes, human_rate
from report._charts import Series, svg
from report._data import Part, Report, Row


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:+.1%}"


def _num(x: float | None) -> str:
    return "" if x is None else (f"{x:,.1f}" if x < 1000 else f"{x:,.0f}")


def _cfg(r: Row) -> str:
    c = r.cfg
    return (
        f"t={c.n_threads} ub={c.n_ubatch} ngl={c.n_gpu_layers} fa={int(c.flash_attn)} "
        f"kv={c.type_k}/{c.type_v}" + (f" cpu-moe={c.n_cpu_moe}" if c.n_cpu_moe else "")
    )


def host_lines(rep: Report) -> list[str]:
    h = rep.host
    if h is None:
        return ["host: unknown"]
    lines = []
    if h.cpu:
        flags = " ".join(k for k, v in h.cpu.isa_flags.items() if v)
        lines.append(f"CPU: {h.cpu.model} ({h.cpu.physical_cores} cores; {flags})")
    if h.memory:
        bw = h.memory.measured_read_bytes_per_s
        lines.append(
            f"RAM: {human_bytes(h.memory.total_bytes)}"
            + (f", measured read {human_rate(bw)}" if bw else "")
        )
    for g in h.gpus:
        lines.append(
            f"GPU {g.index}: {g.name}, {human_bytes(g.usable_bytes)}"
            f", {human_rate(g.spec_bandwidth_bytes_per_s)}"
        )
    for d in h.disks:
        if d.holds_hf_cache and d.measured_read_bytes_per_s:
            lines.append(f"HF cache disk {d.device}: {human_rate(d.measured_read_bytes_per_s)}")
    return lines


def _model_line(p: Part, rep: Report | None = None) -> str:
    e = p.engine
    size = p.model.get("size_bytes")
    line = (
        f"sweep {p.sweep_id} ({p.created_at}): {p.label}"
        + (f", {human_bytes(size)}" if size else "")
        + f"; engine {e.get('kind')} {e.get('version') or ''} {e.get('build_commit') or ''}"
    )
    if rep is not None:
        measured, predicted = p.load(rep.host)
        if measured or predicted:
            m = f"{measured:.2f} s" if measured else "not reported by the engine"
            pr = (
                f"{predicted:.2f} s from the disk's read speed"
                if predicted
                else "n/a (no measured disk speed: probe detect --measure)"
            )
            line += f"; load {m}, predicted {pr}"
    return line


def _memory(r: Row) -> str:
    """The engine's own buffers against the predicted components (host), and GPU peaks."""
    parts = []
    if r.mem_measured and r.mem_predicted:
        keys = ("weights_bytes", "kv_bytes", "compute_bytes")
        meas = "/".join(f"{r.mem_measured.get(k, 0) / 2**20:.0f}" for k in keys)
        pred = "/".join(f"{r.mem_predicted.get(k, 0) / 2**20:.0f}" for k in keys)
        parts.append(f"w/kv/c MiB {meas} vs {pred}")
    elif r.peak_rss_bytes and r.predicted_host_bytes:
        parts.append(
            f"RSS {human_bytes(r.peak_rss_bytes)} vs {human_bytes(r.predicted_host_bytes)}"
        )
    for name, b in (r.gpu_peaks or {}).items():
        parts.append(f"GPU {name.split(':')[0]} peak {human_bytes(b)}")
    return "; ".join(parts)


def server_command(rep: Report) -> str | None:
    """The ready-to-run llama-server line for the fastest generation measured."""
    best = rep.best("tg")
    if best is None:
        return None
    part, r = best
    c = r.cfg
    model = part.model
    where = (
        f"-hf {model['repo']}:{model['quant']}"
        if model.get("repo") and model.get("quant")
        else f"-m {model.get('path') or model.get('file')}"
    )
    ctx = max(4096, c.n_depth + c.n_prompt + c.n_gen)
    ngl = 99 if c.n_gpu_layers < 0 else c.n_gpu_layers
    extra = f" --n-cpu-moe {c.n_cpu_moe}" if c.n_cpu_moe else ""
    return (
        f"llama-server {where} -ngl {ngl}{extra} -c {ctx} -t {c.n_threads} "
        f"-ub {c.n_ubatch} -b {c.n_batch} -fa {'on' if c.flash_attn else 'off'} "
        f"-ctk {c.type_k} -ctv {c.type_v}"
    )


def _acc_line(rep: Report) -> str:
    parts = []
    for kind, a in rep.accuracy().items():
        if a["points"]:
            parts.append(
                f"{kind}: median |error| {a['median_abs_error']:.1%}, worst "
                f"{a['worst_abs_error']:.1%} over {a['points']} points"
            )
    cal = (
        f"calibrated on {rep.calibrated_points} points" if rep.calibrated_points else "uncalibrated"
    )
    return "; ".join(parts) + f" ({cal})" if parts else f"no comparable points ({cal})"


def render_text(rep: Report) -> RenderableType:
    out: list[RenderableType] = [Text("\n".join(host_lines(rep)))]
    for p in rep.parts:
        t = Table(title=_model_line(p, rep), title_justify="left")
        for col in (
            "test",
            "config",
            "status",
            "measured t/s",
            "predicted",
            "error",
            "bound by",
            "of ceiling",
            "memory measured vs predicted",
        ):
            t.add_column(col)
        for r in p.rows:
            meas = f"{_num(r.measured)} ± {_num(r.stddev)}" if r.measured else ""
            pred = _num(r.predicted) + ("" if r.comparable else " (not comparable)")
            status = r.status if r.status == "ok" else f"{r.status}: {r.why}"
            eff = f"{r.efficiency:.0%}" if r.efficiency else ""
            t.add_row(
                r.test,
                _cfg(r),
                status,
                meas,
                pred,
                _pct(r.error),
                r.dominant or "",
                eff,
                _memory(r),
            )
        out.append(t)
    out.append(Text(f"accuracy: {_acc_line(rep)}"))
    cmd = server_command(rep)
    if cmd:
        out.append(Text(f"best configuration found: {cmd}", style="green"))
    out += [Text(f"note: {n}", style="yellow") for n in rep.notes]
    return Group(*out)


def render_md(rep: Report) -> str:
    lines = ["## rigbench: measured vs predicted", ""]
    lines += [f"- {h}" for h in host_lines(rep)]
    for p in rep.parts:
        lines += [
            "",
            f"### {_model_line(p, rep)}",
            "",
            "| test | config | status | measured t/s | predicted t/s | error | bound by "
            "| memory measured vs predicted |",
            "|---|---|---|---:|---:|---:|---|---|",
        ]
        for r in p.rows:
            meas = f"{_num(r.measured)} ± {_num(r.stddev)}" if r.measured else ""
            pred = _num(r.predicted) + ("" if r.comparable else " (not comparable)")
            status = r.status if r.status == "ok" else f"{r.status} ({r.why})"
            lines.append(
                f"| {r.test} | {_cfg(r)} | {status} | {meas} | {pred} | "
                f"{_pct(r.error)} | {r.dominant or ''} | {_memory(r)} |"
            )
    lines += ["", f"**Accuracy:** {_acc_line(rep)}"]
    cmd = server_command(rep)
    if cmd:
        lines += ["", "**Best configuration found:**", "", "```sh", cmd, "```"]
    lines += [f"> note: {n}" for n in rep.notes]
    return "\n".join(lines) + "\n"


# -- HTML ------------------------------------------------------------------------------------


# One chart per swept axis with more than one value: (axis, title, x label, metric, series
# key, log x). Series keys name what each line holds fixed.
SWEEP_CHARTS = (
    ("n_depth", "generation vs context depth", "depth (tokens)", "tg", "cfg", False),
    ("n_depth", "prompt processing vs context depth", "depth (tokens)", "pp", "cfg", False),
    ("n_ubatch", "prompt processing vs ubatch", "ubatch", "pp", "depth", True),
    ("n_gpu_layers", "tokens/s vs GPU layers", "n_gpu_layers", "tg", "test", False),
    ("n_threads", "generation vs threads", "threads", "tg", "depth", False),
)


def charts(rep: Report) -> list[str]:
    """tg vs depth, pp vs ubatch, t/s vs GPU layers, memory vs context, and the quant ladder."""
    out = []
    ok = [(p, r) for p in rep.parts for r in p.rows if r.measured]

    def group(kind: str, key: str, x: str) -> list[Series]:
        series: dict[str, Series] = {}
        for p, r in ok:
            if r.kind != kind:
                continue
            name = (f"{p.label} " if len(rep.parts) > 1 else "") + {
                "cfg": f"t={r.cfg.n_threads} ub={r.cfg.n_ubatch} ngl={r.cfg.n_gpu_layers}",
                "depth": f"d={r.cfg.n_depth} t={r.cfg.n_threads}",
                "test": f"{r.test.split('@')[0]} t={r.cfg.n_threads}",
            }[key]
            s = series.setdefault(name, Series(name))
            xv = float(getattr(r.cfg, x))
            s.measured.append((xv, r.measured or 0, r.stddev or 0))
            if r.predicted:
                s.predicted.append((xv, r.predicted))
        return list(series.values())

    def distinct(attr: str) -> int:
        return len({getattr(r.cfg, attr) for _, r in ok})

    for axis, title, xlabel, kind, key, log_x in SWEEP_CHARTS:
        if distinct(axis) > 1:
            out.append(svg(title, xlabel, f"{kind} tokens/s", group(kind, key, axis), log_x=log_x))
    mems: dict[int, Series] = {}
    for _, r in ok:
        ctx = float(r.cfg.n_depth + r.cfg.n_prompt + r.cfg.n_gen)
        mem = mems.setdefault(r.cfg.n_ubatch, Series(f"ub={r.cfg.n_ubatch}"))
        if r.peak_rss_bytes:
            mem.measured.append((ctx, r.peak_rss_bytes / 2**30, 0.0))
        if r.predicted_host_bytes:
            mem.predicted.append((ctx, r.predicted_host_bytes / 2**30))
    if any(len({x for x, *_ in m.measured}) > 1 for m in mems.values()):
        out.append(
            svg(
                "host memory vs context: engine peak RSS (per process) vs predicted",
                "context (tokens)",
                "GiB",
                list(mems.values()),
            )
        )
    quants = {}
    for p in rep.parts:
        size = p.model.get("size_bytes")
        best = max((r.measured for r in p.rows if r.kind == "tg" and r.measured), default=None)
        if size and best:
            quants[p.label] = (size / 2**30, best)
    if len(quants) > 1:
        ladder = [Series(name, measured=[(gib, tps, 0.0)]) for name, (gib, tps) in quants.items()]
        out.append(
            svg(
                "quant ladder: size vs generation speed",
                "file size (GiB)",
                "best tg tokens/s",
                ladder,
            )
        )
    return [c for c in out if c]


CSS = """body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111;max-width:1200px}
table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #ddd;padding:3px 8px;
text-align:right}td:nth-child(-n+3),th{text-align:left}tr.failed{background:#fee2e2}
tr.skipped{background:#fef9c3}.chart{border:1px solid #eee;margin:6px}.chart text{font-size:11px}
.chart .t{font-size:13px;font-weight:600}.grid{stroke:#eee}.axis{stroke:#888}.err{stroke-width:2}
.bad{color:#b91c1c}.good{color:#047857}code{background:#f3f4f6;padding:2px 4px}"""

FILTER_JS = """function f(){var q=document.getElementById('q').value.toLowerCase();
document.querySelectorAll('tbody tr').forEach(function(r){
r.style.display=r.textContent.toLowerCase().indexOf(q)<0?'none':''})}"""


def render_html(rep: Report) -> str:
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
    h.append(f"<p><b>Accuracy:</b> {escape(_acc_line(rep))}</p>")
    cmd = server_command(rep)
    if cmd:
        h.append(f"<p><b>Best configuration found:</b> <code>{escape(cmd)}</code></p>")
    h += [f"<p class=bad>note: {escape(n)}</p>" for n in rep.notes]
    h.append("<div id=charts>" + "".join(charts(rep)) + "</div>")
    h.append(
        '<p><label>filter (model, test, config, status): <input id=q oninput="f()"></label></p>'
    )
    for p in rep.parts:
        h.append(f"<h2>{escape(_model_line(p, rep))}</h2><table><thead><tr>")
        h += [
            f"<th>{c}</th>"
            for c in (
                "test",
                "config",
                "status",
                "measured t/s",
                "predicted t/s",
                "error",
                "bound by",
                "of ceiling",
                "peak RSS",
                "predicted host",
                "memory detail",
            )
        ]
        h.append("</tr></thead><tbody>")
        for r in p.rows:
            err = r.error
            cls = "bad" if err is not None and abs(err) > 0.25 else "good"
            meas = f"{_num(r.measured)} ± {_num(r.stddev)}" if r.measured else ""
            status = r.status if r.status == "ok" else f"{r.status}: {r.why}"
            pred = _num(r.predicted) + ("" if r.comparable else " (not comparable)")
            test = f"{p.label} {r.test}" if len(rep.parts) > 1 else r.test
            cells = [
                test,
                _cfg(r),
                status,
                meas,
                pred,
                f"<span class={cls}>{_pct(err)}</span>",
                r.dominant or "",
                f"{r.efficiency:.0%}" if r.efficiency else "",
                human_bytes(r.peak_rss_bytes) if r.peak_rss_bytes else "",
                human_bytes(r.predicted_host_bytes) if r.predicted_host_bytes else "",
                _memory(r),
            ]
            h.append(
                f"<tr class={r.status}>"
                + "".join(f"<td>{c if c.startswith('<span') else escape(c)}</td>" for c in cells)
                + "</tr>"
            )
        h.append("</tbody></table>")
    h.append(f"<script>{FILTER_JS}</script></body></html>")
    return "\n".join(h)

"""Report renderers for the terminal (rich) and Markdown (GitHub step summary); the HTML page
is in ``_html``. Both read the same sections: each sweep with the axes every point shares in
its header and only the varying ones as columns, accuracy, the best configuration for a named
objective, the Pareto set, memory and the context limit, failed and skipped points."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Group, RenderableType
from rich.text import Text

from probe import human_bytes, human_rate
from probe.tables import Cell, Column, Command, FitTable
from report import _best
from report._data import AXIS_HEADER, Part, Report, Row, varying

MD_MAX_ROWS = 1000  # a step summary holds 1 MiB; the full table is in the HTML and JSON
PARETO_SHOWN = 10  # text and Markdown; the HTML and JSON hold the whole set
HTML_NAME = "report.html"  # where the Markdown's chart links point: upload the HTML beside it


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _pct(x: float | None) -> str:
    return "" if x is None else f"{x:+.1%}"


def _num(x: float | None) -> str:
    return "" if x is None else (f"{x:,.1f}" if x < 1000 else f"{x:,.0f}")


def fmt_value(axis: str, v: Any) -> str:
    if isinstance(v, bool):
        return "on" if v else "off"
    if axis == "n_gpu_layers" and v == -1:
        return "all"
    return str(v)


def cfg_label(r: Row, axes: Iterable[str]) -> str:
    """``t=16 ub=512``: a point's values on ``axes``."""
    return " ".join(f"{AXIS_HEADER[a]}={fmt_value(a, r.value(a))}" for a in axes)


_AXES_SEEN: dict[int, tuple[tuple[Row, ...], list[str]]] = {}


def table_axes(rows: tuple[Row, ...]) -> list[str]:
    """The varying axes a points table shows as columns (the test name carries the prompt and
    generated lengths). Remembered per sweep: every failed point and every table asks, and a
    10,000-point sweep would otherwise scan its points hundreds of times."""
    seen = _AXES_SEEN.get(id(rows))
    if seen is None or seen[0] is not rows:
        if len(_AXES_SEEN) > 16:  # a long-lived process renders many reports
            _AXES_SEEN.clear()
        seen = _AXES_SEEN[id(rows)] = (
            rows,
            [a for a in varying(rows) if a not in ("n_prompt", "n_gen")],
        )
    return list(seen[1])


def fixed_line(rows: list[Row]) -> str:
    """What every point of a sweep shares: ``same for every point: t=16 b=2048 ...``."""
    if not rows:
        return ""
    vary = set(varying(rows))
    fixed = [a for a in AXIS_HEADER if a not in vary and a not in ("quant", "n_prompt", "n_gen")]
    return "same for every point: " + cfg_label(rows[0], fixed)


def test_name(r: Row) -> str:
    return f"pp{r.cfg.n_prompt}" if r.kind == "pp" else f"tg{r.cfg.n_gen}"


def where_axes(p: Part) -> list[str]:
    """The axes that place a failed or skipped point: its depth and what its sweep varies."""
    return ["n_depth", *(a for a in table_axes(p.rows) if a != "n_depth")]


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


def model_lines(p: Part, rep: Report) -> list[str]:
    """The sweep's model, engine and load time, and what every point shares."""
    e = p.engine
    size = p.model.get("size_bytes")
    lines = [
        f"sweep {p.sweep_id} ({p.created_at}): {p.label}"
        + (f", {human_bytes(size)}" if size else ""),
        f"engine {e.get('kind')} {e.get('version') or ''} {e.get('build_commit') or ''}".rstrip(),
    ]
    measured, predicted = p.load(rep.host)
    if measured or predicted:
        m = f"{measured:.2f} s" if measured else "not reported by the engine"
        pr = (
            f"{predicted:.2f} s from the disk's read speed"
            if predicted
            else "n/a (no measured disk speed: probe detect --measure)"
        )
        lines[-1] += f"; load {m}, predicted {pr}"
    lines.append(fixed_line(list(p.rows)))
    return lines


def memory_cell(r: Row) -> str:
    """Peak RSS against the predicted host total (the breakdown lives in the HTML)."""
    if not r.peak_rss_bytes:
        return ""
    pred = f" / {human_bytes(r.predicted_host_bytes)}" if r.predicted_host_bytes else ""
    return human_bytes(r.peak_rss_bytes) + pred


def acc_line(rep: Report) -> str:
    parts = []
    acc = rep.accuracy()
    for kind, a in acc.items():
        if a["points"]:
            band = (
                f", {a['inside_interval']} of {a['with_interval']} inside their 80 % interval"
                if a["with_interval"]
                else ""
            )
            parts.append(
                f"{kind}: median |error| {a['median_abs_error']:.1%}, worst "
                f"{a['worst_abs_error']:.1%} over {a['points']} points{band}"
            )
    cal = (
        f"calibrated on {rep.calibrated_points} points" if rep.calibrated_points else "uncalibrated"
    )
    failed = sum(int(a["failed"] or 0) for a in acc.values())
    skipped = sum(int(a["skipped"] or 0) for a in acc.values())
    out = "; ".join(parts) + f" ({cal})" if parts else f"no comparable points ({cal})"
    if failed or skipped:
        out += f"; {failed} failed and {skipped} skipped points left out"
    return out


def objective_line(objective: str) -> str:
    default = " (the default)" if objective == _best.DEFAULT_OBJECTIVE else ""
    others = "|".join(o for o in _best.OBJECTIVES if o != objective)
    return (
        f"objective: {objective}{default}, {_best.OBJECTIVES[objective]}; "
        f"choose with --objective {others}"
    )


def config_of(c: _best.Candidate, rep: Report) -> str:
    """A configuration by the axes its sweep varies (and its model when sweeps differ)."""
    axes = [a for a in table_axes(c.part.rows) if a != "n_depth"]
    label = cfg_label(c.cfg_row, axes) or "the one configuration"
    return f"{c.part.label} {label}" if len(rep.parts) > 1 else label


def failures(rep: Report) -> list[tuple[Part, Row]]:
    return [(p, r) for p in rep.parts for r in p.rows if r.status != "ok"]


def context_limits(p: Part) -> list[tuple[str, Row | None, Row | None]]:
    """Per configuration (less depth): the deepest point that ran and the shallowest that
    failed or was skipped."""
    axes = [a for a in table_axes(p.rows) if a != "n_depth"]
    groups: dict[str, list[Row]] = {}
    for r in p.rows:
        groups.setdefault(cfg_label(r, axes) or "all", []).append(r)
    out = []
    for label, rows in groups.items():
        ok = [r for r in rows if r.status == "ok"]
        bad = [r for r in rows if r.status != "ok"]
        deepest = max(ok, key=lambda r: (r.cfg.n_depth, r.peak_rss_bytes or 0), default=None)
        first_bad = min(bad, key=lambda r: r.cfg.n_depth, default=None)
        out.append((label, deepest, first_bad))
    return out


def _mem_cells(r: Row | None) -> list[str]:
    """Peak RSS, predicted host total and GPU peak of a point ("" where unknown)."""
    if r is None:
        return ["", "", ""]
    return [
        human_bytes(b) if b else ""
        for b in (r.peak_rss_bytes, r.predicted_host_bytes, r.peak_gpu_total_bytes)
    ]


# -- terminal ------------------------------------------------------------------------------


def _points_table(p: Part) -> FitTable:
    axes = table_axes(p.rows)
    cols = [Column("test")]
    cols += [Column(AXIS_HEADER[a], right=a not in ("type_k", "type_v", "quant")) for a in axes]
    cols += [
        Column("status"),
        Column("t/s", right=True),
        Column("±", right=True, drop=4),
        Column("pred", right=True),
        Column("80% interval", right=True, drop=5),
        Column("error", right=True),
        Column("bound by", drop=6),
        Column("of ceil", right=True, drop=7),
        Column("RSS / pred", right=True, drop=3),
    ]
    styles = {"ok": "green", "failed": "red", "skipped": "yellow"}
    rows: list[list[Cell]] = []
    for r in p.rows:
        interval = f"{_num(r.interval[0])}-{_num(r.interval[1])}" if r.interval else ""
        rows.append(
            [
                test_name(r),
                *(fmt_value(a, r.value(a)) for a in axes),
                Text(r.status, style=styles.get(r.status, "")),
                _num(r.measured),
                _num(r.stddev) if r.measured else "",
                _num(r.predicted) + ("" if r.comparable else " (not comparable)"),
                interval,
                _pct(r.error),
                r.dominant or "",
                f"{r.efficiency:.0%}" if r.efficiency else "",
                memory_cell(r),
            ]
        )
    return FitTable(cols, rows)


def render_text(rep: Report, objective: str = _best.DEFAULT_OBJECTIVE) -> RenderableType:
    out: list[RenderableType] = [Text("\n".join(host_lines(rep)))]
    for p in rep.parts:
        out.append(Text(""))
        out.append(Text("\n".join(model_lines(p, rep)), style="bold"))
        out.append(_points_table(p))
        limits = context_limits(p)
        mem = FitTable(
            [
                Column("config"),
                Column("ran to ctx", right=True),
                Column("peak RSS", right=True),
                Column("predicted", right=True),
                Column("GPU peak", right=True, drop=2),
                Column("stopped at", drop=1),
            ],
            [
                [
                    label,
                    str(ok.ctx) if ok else "-",
                    *_mem_cells(ok),
                    f"ctx {bad.ctx} ({bad.failure_class or bad.status})" if bad else "",
                ]
                for label, ok, bad in limits
            ],
            title=Text("memory and context limit (peak of the deepest point that ran):"),
        )
        out.append(mem)
    bad = failures(rep)
    if bad:
        out.append(Text("failed and skipped points (left out of the accuracy figures):"))
        for p, r in bad:
            where = cfg_label(r, where_axes(p))
            out.append(Text(f"  {r.status}: {test_name(r)} {where}: {r.reason}"))
    out.append(Text(f"accuracy: {acc_line(rep)}"))
    out.append(Text(objective_line(objective)))
    top = _best.best(rep, objective)
    if top is None:
        out.append(Text(f"best configuration: none measured for {objective}", style="yellow"))
    else:
        out.append(
            Text(f"best configuration for {objective}: {config_of(top, rep)}", style="green")
        )
        out.append(Text(f"  {_best.describe(top)}"))
        out.append(Command(_best.server_command(top), prefix="  ", style="green"))
    front = _best.pareto(rep)
    if len(front) > 1:
        more = f", the {PARETO_SHOWN} fastest at tg shown" if len(front) > PARETO_SHOWN else ""
        out.append(
            Text(f"Pareto set (pp vs tg vs memory): {_plural(len(front), 'configuration')}{more}")
        )
        for c in front[:PARETO_SHOWN]:
            out.append(Text(f"  {config_of(c, rep)}: {_best.describe(c)}"))
            out.append(Command(_best.server_command(c), prefix="    "))
    out += [Text(f"note: {n}", style="yellow") for n in rep.notes]
    return Group(*out)


# -- Markdown ------------------------------------------------------------------------------


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def chart_links(rep: Report) -> list[tuple[str, str]]:
    """(anchor, title) of the HTML page's charts, for the Markdown to link to."""
    from report import _html

    return [(anchor, title) for anchor, title, _ in _html.chart_list(rep)]


def render_md(rep: Report, objective: str = _best.DEFAULT_OBJECTIVE) -> str:
    lines = ["## rigbench: measured vs predicted", ""]
    lines += [f"- {_md(h)}" for h in host_lines(rep)]
    links = " · ".join(f"[{t}]({HTML_NAME}#{a})" for a, t in chart_links(rep))
    lines += ["", f"Charts (in the HTML report, `{HTML_NAME}`): {links}"]
    lines += ["", "### Accuracy", "", _md(acc_line(rep))]
    lines += ["", "### Best configuration", "", _md(objective_line(objective)), ""]
    top = _best.best(rep, objective)
    if top is None:
        lines.append(f"No configuration was measured for {objective}.")
    else:
        lines += [
            f"**{_md(config_of(top, rep))}**: {_md(_best.describe(top))}",
            "",
            "```sh",
            _best.server_command(top),
            "```",
        ]
    front = _best.pareto(rep)
    if front:
        lines += [
            "",
            f"### Pareto set (pp vs tg vs memory): {_plural(len(front), 'configuration')}",
            "",
            "| config | tg t/s | pp t/s | peak | llama-server |",
            "|---|---:|---:|---:|---|",
        ]
        for c in front[:PARETO_SHOWN]:
            lines.append(
                f"| {_md(config_of(c, rep))} | {_num(c.tg_tokens_per_s)} | "
                f"{_num(c.pp_tokens_per_s)} | {human_bytes(c.peak_bytes) if c.peak_bytes else ''}"
                f" | `{_best.server_command(c)}` |"
            )
        if len(front) > PARETO_SHOWN:
            lines.append(f"\n{len(front) - PARETO_SHOWN} more in the HTML and JSON reports.")
    bad = failures(rep)
    if bad:
        lines += [
            "",
            f"### Failed and skipped: {_plural(len(bad), 'point')} "
            "(left out of the accuracy figures)",
            "",
            "| test | config | status | reason |",
            "|---|---|---|---|",
        ]
        for p, r in bad[:MD_MAX_ROWS]:
            where = cfg_label(r, where_axes(p))
            lines.append(f"| {test_name(r)} | {_md(where)} | {r.status} | {_md(r.reason)} |")
    for p in rep.parts:
        lines += ["", f"### {_md(model_lines(p, rep)[0])}", ""]
        lines += [f"{_md(x)}  " for x in model_lines(p, rep)[1:]]
        lines += ["", "#### Memory and context limit", ""]
        lines += [
            "| config | ran to ctx | peak RSS | predicted | GPU peak | stopped at |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for label, ok, stop in context_limits(p)[:MD_MAX_ROWS]:
            cells = [label, str(ok.ctx) if ok else "-", *_mem_cells(ok)]
            cells.append(f"ctx {stop.ctx} ({stop.failure_class or stop.status})" if stop else "")
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        axes = table_axes(p.rows)
        heads = ["test", *(AXIS_HEADER[a] for a in axes), "status", "t/s", "pred", "error"]
        shown = p.rows[:MD_MAX_ROWS]
        lines += ["", f"<details><summary>{len(p.rows)} points</summary>", ""]
        lines.append("| " + " | ".join(heads) + " |")
        lines.append("|" + "---|" * (1 + len(axes) + 1) + "---:|" * 3)
        for r in shown:
            cells = [
                test_name(r),
                *(fmt_value(a, r.value(a)) for a in axes),
                r.status,
                _num(r.measured),
                _num(r.predicted) + ("" if r.comparable else " (not comparable)"),
                _pct(r.error),
            ]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        if len(p.rows) > len(shown):
            lines.append(f"\n{len(p.rows) - len(shown)} more points in the HTML and JSON reports.")
        lines += ["", "</details>"]
    lines += [f"> note: {_md(n)}" for n in rep.notes]
    return "\n".join(lines) + "\n"

"""The fleet report as text, Markdown (sized for $GITHUB_STEP_SUMMARY) and self-contained HTML
(tables and inline SVG charts: no script, no network)."""

from __future__ import annotations

import json
from html import escape

from probe import human_bytes
from report._fleet import Cell, Fleet, to_dict
from report._render import _pct

# GitHub truncates a job summary over 1 MiB (docs.github.com, "Adding a job summary"); the
# Markdown stays far under it however big the fleet: rows per model, failures and models are
# capped, and a last cut keeps the whole under MD_BUDGET_BYTES.
MD_BUDGET_BYTES = 150 * 2**10
MAX_TEST_ROWS = 120  # per model
MAX_MODELS = 20
MAX_FAILURES = 30


def _num(x: float | None) -> str:
    return "–" if x is None else f"{x:,.1f}"


def _cell_text(c: Cell | None) -> str:
    if c is None:
        return ""
    if c.measured is None:
        return c.status
    pred = f" / {_num(c.predicted)}" if c.predicted else ""
    err = f" ({_pct(c.error)})" if c.error is not None else ""
    return f"{_num(c.measured)}{pred}{err}"


def _clean(text: str) -> str:
    """User text (labels, model names, reasons) made safe for one table cell."""
    return " ".join(text.split()).replace("|", "\\|")[:200]


def _machine_rows(fleet: Fleet) -> list[list[str]]:
    rows = []
    for m in fleet.machines:
        acc = m.report.accuracy()
        med = {k: acc[k]["median_abs_error"] for k in ("pp", "tg")}
        cal = ", ".join(
            f"{b} k_bw {c.k_bw:.2f} k_compute {c.k_compute:.2f} ({c.n_points} pts)"
            for b, (c, _) in sorted(m.calibrations.items())
        )
        rows.append(
            [
                _clean(m.key),
                _clean(m.hardware),
                _clean(m.builds),
                "" if med["pp"] is None else f"{med['pp']:.1%}",
                "" if med["tg"] is None else f"{med['tg']:.1%}",
                cal or "none",
                str(len(m.failures())),
                human_bytes(m.peak_rss_bytes()) if m.peak_rss_bytes() else "–",
                human_bytes(m.peak_gpu_bytes()) if m.peak_gpu_bytes() else "–",
            ]
        )
    return rows


MACHINE_HEAD = [
    "machine",
    "hardware",
    "build",
    "pp error (median)",
    "tg error (median)",
    "calibration",
    "failed",
    "peak RSS",
    "peak GPU",
]


def _grid(fleet: Fleet, model: str) -> tuple[list[str], list[list[str]]]:
    """One model's tests (rows) x machines (columns)."""
    keys = [m.key for m in fleet.machines]
    by: dict[str, dict[str, Cell]] = {}
    for c in fleet.cells:
        if c.model == model:
            by.setdefault(c.test, {})[c.machine] = c
    head = ["test", *(_clean(k) for k in keys)]
    return head, [[t, *(_cell_text(row.get(k)) for k in keys)] for t, row in by.items()]


def _ranking_lines(fleet: Fleet, model: str) -> list[str]:
    out = []
    for i, c in enumerate(fleet.ranking(model), 1):
        at = "" if c.depth == fleet.depth else f" (at depth {c.depth}, nearest measured)"
        pred = f", predicted {_num(c.predicted)} ({_pct(c.error)})" if c.predicted else ""
        out.append(f"{i}. {_clean(c.machine)}: {_num(c.measured)} t/s {c.test}{at}{pred}")
    return out or ["no tg point measured"]


def _failure_lines(fleet: Fleet) -> list[str]:
    lines = [
        f"- {_clean(m.key)} {r.test}: {_clean(r.why or 'failed')}"
        for m in fleet.machines
        for r in m.failures()
    ]
    more = len(lines) - MAX_FAILURES
    return lines[:MAX_FAILURES] + ([f"- … {more} more in the JSON report"] if more > 0 else [])


def _md_table(head: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
        *("| " + " | ".join(r) + " |" for r in rows),
    ]


def render_md(fleet: Fleet) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY: always under MD_BUDGET_BYTES."""
    models = fleet.models
    out = [
        f"# rigbench fleet: {len(fleet.machines)} machine(s), {len(models)} model(s)",
        "",
        "Cells: measured / predicted tokens/s (error of the prediction), the best "
        "configuration of each test.",
        "",
        "## Machines",
        "",
        *_md_table(MACHINE_HEAD, _machine_rows(fleet)),
    ]
    for model in models[:MAX_MODELS]:
        head, rows = _grid(fleet, model)
        out += ["", f"## {_clean(model)}", ""]
        out += [f"Which machine (tg at depth {fleet.depth}):", "", *_ranking_lines(fleet, model)]
        out += ["", *_md_table(head, rows[:MAX_TEST_ROWS])]
        if len(rows) > MAX_TEST_ROWS:
            out.append(f"\n… {len(rows) - MAX_TEST_ROWS} more tests in the HTML or JSON report")
    if len(models) > MAX_MODELS:
        out.append(f"\n… {len(models) - MAX_MODELS} more models in the HTML or JSON report")
    failures = _failure_lines(fleet)
    if failures:
        out += ["", "## Failures", "", *failures]
    return _budget("\n".join(out) + "\n")


def _budget(text: str) -> str:
    raw = text.encode()
    if len(raw) <= MD_BUDGET_BYTES:
        return text
    cut = raw[:MD_BUDGET_BYTES].decode(errors="ignore").rsplit("\n", 1)[0]
    return cut + "\n\n… cut to stay within the job summary size; see the HTML or JSON report\n"


def render_text(fleet: Fleet) -> str:
    """Plain aligned columns for the terminal."""
    out = [f"rigbench fleet: {len(fleet.machines)} machine(s), {len(fleet.models)} model(s)", ""]
    out += _aligned(MACHINE_HEAD, _machine_rows(fleet))
    for model in fleet.models:
        head, rows = _grid(fleet, model)
        out += ["", model, f"which machine (tg at depth {fleet.depth}):"]
        out += ["  " + line for line in _ranking_lines(fleet, model)]
        out += ["", *_aligned(head, rows)]
    failures = _failure_lines(fleet)
    if failures:
        out += ["", "failures:", *failures]
    return "\n".join(out) + "\n"


def _aligned(head: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    return [
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip()
        for r in [head, *rows]
    ]


CSS = (
    "body{font:14px system-ui,sans-serif;margin:2em;color:#111}table{border-collapse:collapse;"
    "margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    "td:first-child,th:first-child{text-align:left}.chart text{font-size:11px}"
    ".chart .t{font-size:13px;font-weight:600}.grid{stroke:#eee}.axis{stroke:#888}"
)


def html_table(head: list[str], rows: list[list[str]]) -> str:
    """A plain table; cells are text (escaped here)."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in r) + "</tr>" for r in rows)
    return f"<table><tr>{th}</tr>{body}</table>"


BAR_W, BAR_H, BAR_LEFT = 560, 26, 170
COLORS = ("#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2")


def machines_chart(fleet: Fleet, model: str) -> str:
    """Inline SVG: one bar per machine, measured tg tokens/s at the ranking depth, with a
    black tick at the prediction (report._charts draws curves over an axis; this compares
    machines, so it draws its own bars)."""
    ranked = fleet.ranking(model)
    if not ranked:
        return ""
    top = max(max(c.measured or 0, c.predicted or 0) for c in ranked) or 1.0
    span = BAR_W - BAR_LEFT - 70
    h = 30 + BAR_H * len(ranked)
    title = f"{model}: tg tokens/s at depth {fleet.depth}, by machine"
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {BAR_W} {h}" '
        f'width="{BAR_W}" height="{h}" role="img" aria-label="{escape(title)}">',
        f'<text x="{BAR_W / 2}" y="16" text-anchor="middle" class="t">{escape(title)}</text>',
    ]
    for i, c in enumerate(ranked):
        y = 26 + i * BAR_H
        w = span * (c.measured or 0) / top
        out.append(
            f'<text x="{BAR_LEFT - 6}" y="{y + 14}" text-anchor="end">{escape(c.machine[:28])}'
            f"</text>"
            f'<rect x="{BAR_LEFT}" y="{y + 3}" width="{w:.1f}" height="{BAR_H - 8}" '
            f'fill="{COLORS[i % len(COLORS)]}" class="measured"><title>{escape(c.machine)}: '
            f"{_num(c.measured)} t/s ({escape(c.test)})</title></rect>"
            f'<text x="{BAR_LEFT + w + 6:.1f}" y="{y + 14}">{_num(c.measured)}</text>'
        )
        if c.predicted:
            x = BAR_LEFT + span * c.predicted / top
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y + 1}" y2="{y + BAR_H - 3}" '
                f'stroke="#111" stroke-width="2" class="predicted"><title>predicted '
                f"{_num(c.predicted)}</title></line>"
            )
    out.append("</svg>")
    return "".join(out)


def render_html(fleet: Fleet) -> str:
    """One self-contained page: tables and inline SVG, no script, no network."""
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        "<title>rigbench fleet</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>rigbench fleet: {len(fleet.machines)} machine(s)</h1>",
        "<p>Cells: measured / predicted tokens/s (error of the prediction), the best "
        "configuration of each test.</p>",
        "<h2>Machines</h2>",
        html_table(MACHINE_HEAD, _machine_rows(fleet)),
    ]
    for model in fleet.models:
        head, rows = _grid(fleet, model)
        parts.append(f"<h2>{escape(model)}</h2>")
        parts.append(f"<p>Which machine (tg at depth {fleet.depth}):</p><ol>")
        parts += [
            f"<li>{escape(line.split('. ', 1)[1])}</li>"
            for line in _ranking_lines(fleet, model)
            if ". " in line
        ]
        parts.append("</ol>")
        parts.append(machines_chart(fleet, model))
        parts.append(html_table(head, rows))
    failures = _failure_lines(fleet)
    if failures:
        parts.append("<h2>Failures</h2><ul>")
        parts += [f"<li>{escape(f[2:])}</li>" for f in failures]
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render(fleet: Fleet, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_dict(fleet), indent=2)
    if fmt == "md":
        return render_md(fleet)
    if fmt == "html":
        return render_html(fleet)
    return render_text(fleet)

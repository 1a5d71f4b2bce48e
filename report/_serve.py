"""``report serve``: stored ``bench serve`` runs, measured beside predicted — a table per run
(users x prompt: TTFT p50/p95, per-user and aggregate tokens/s, errors, J/token) as text,
Markdown, JSON or one self-contained HTML page with two charts per run."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from bench.run import batched_bench_summary
from bench.store import Store
from probe.errors import UserError
from report._charts import Point, Series, sweep_chart
from report._fleet_render import html_table

# `report serve --format json` schema history:
#   1 — the stored serve runs (store schema 3), each with its levels' summary and prediction;
#   2 — each run's batched_bench ({"rows", "error"}, store schema 4; null for older runs).
SCHEMA_VERSION = 2

HEAD = ["users", "prompt", "reqs", "err", "TTFT p50 ms", "TTFT p95 ms", "tok/s/user"]
HEAD += ["tok/s all", "J/token", "status"]


def load_serve(db: Path | None, ids: list[int] | None = None) -> list[dict[str, Any]]:
    """Stored serve runs (``ids``, else the latest), oldest first, raw requests left out.

    Raises:
        UserError: the store holds no serve run, or none with one of the ids.
    """
    store = Store.open(db, readonly=True)
    try:
        runs = store.serve_runs()
    finally:
        store.close()
    if not runs:
        raise UserError(
            f"no serve runs in {store.path}",
            hint="run one first: bench serve -m MODEL --users 1,4 --prompt 512",
        )
    if ids is None:
        chosen = runs[-1:]
    else:
        chosen = [r for r in runs if r["id"] in ids]
        missing = sorted(set(ids) - {r["id"] for r in chosen})
        if missing:
            raise UserError(
                f"no serve run {', '.join(map(str, missing))} in {store.path}",
                hint=f"stored serve runs: {', '.join(str(r['id']) for r in runs)}",
            )
    for r in chosen:
        for lv in r["levels"]:
            lv.pop("requests", None)
    return chosen


def _pair(measured: float | None, predicted: float | None, scale: float, nd: int) -> str:
    def f(v: float | None) -> str:
        return "NA" if v is None else f"{v * scale:.{nd}f}"

    return f"{f(measured)} ({f(predicted)})"


def rows(run: dict[str, Any]) -> list[list[str]]:
    """One row per level: measured (predicted)."""
    out = []
    for lv in run["levels"]:
        s, p = lv.get("summary") or {}, lv.get("predicted") or {}
        head = [str(lv["users"]), str(lv["n_prompt"])]
        if lv.get("skipped"):
            out.append([*head, "-", "-", "-", "-", "-", "-", "-", f"skipped: {lv['skipped']}"])
            continue
        jpt = s.get("joules_per_token")
        out.append(
            [
                *head,
                str(s.get("requests", 0)),
                str(s.get("errors", 0)),
                _pair(s.get("ttft_p50_s"), p.get("ttft_s"), 1e3, 0),
                _pair(s.get("ttft_p95_s"), p.get("ttft_burst_s"), 1e3, 0),
                _pair(s.get("per_user_tokens_per_s"), p.get("per_user_tokens_per_s"), 1, 1),
                _pair(s.get("aggregate_tokens_per_s"), p.get("aggregate_tokens_per_s"), 1, 1),
                "NA" if jpt is None else f"{jpt:.3f}",
                "ok" if not s.get("errors") else "errors",
            ]
        )
    return out


def title(run: dict[str, Any]) -> str:
    model = run["model"].get("file") or run["model"].get("label") or "model"
    return f"serve run {run['id']}: {model}, {run['created_at']} ({run['status']})"


def _aligned(head: list[str], body: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    return "\n".join(
        "  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)).rstrip()
        for r in [head, *body]
    )


NOTE = "Cells: measured (predicted); TTFT p95 is predicted as every user's first request at once."


def ceiling(run: dict[str, Any]) -> list[str]:
    """The run's llama-batched-bench line, if it ran (runs stored before schema 4 have none)."""
    bb = run.get("batched_bench")
    return [batched_bench_summary(bb.get("rows") or [], bb.get("error"))] if bb else []


def render_text(runs: list[dict[str, Any]]) -> str:
    parts = [NOTE]
    for run in runs:
        parts += ["", title(run), _aligned(HEAD, rows(run)), *ceiling(run)]
    return "\n".join(parts) + "\n"


def render_md(runs: list[dict[str, Any]]) -> str:
    parts = [NOTE]
    for run in runs:
        parts += ["", f"## {title(run)}", "", "| " + " | ".join(HEAD) + " |"]
        parts.append("|" + "---:|" * len(HEAD))
        parts += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows(run)]
        if lines := ceiling(run):
            parts += ["", *lines]
    return "\n".join(parts) + "\n"


def ttft_chart(run: dict[str, Any]) -> str:
    """TTFT p50 against prompt length: one series per users level, measured markers over the
    predicted line."""
    series: dict[int, Series] = {}
    for lv in run["levels"]:
        s, p = lv.get("summary") or {}, lv.get("predicted") or {}
        ser = series.setdefault(lv["users"], Series(f"{lv['users']} users"))
        if s.get("ttft_p50_s") is not None:
            y = s["ttft_p50_s"] * 1e3
            ser.points.append(Point(lv["n_prompt"], y, title=f"{y:.0f} ms measured"))
        if p.get("ttft_s") is not None:
            ser.predicted.append((lv["n_prompt"], p["ttft_s"] * 1e3, None, None))
    return sweep_chart(
        f"ttft-{run['id']}", "TTFT p50 vs prompt length (dashed: predicted)", "prompt tokens",
        "TTFT ms", "n_prompt", [s for s in series.values() if s.points or s.predicted],
    )  # fmt: skip


def speed_chart(run: dict[str, Any]) -> str:
    """Per-user and aggregate tokens/s against users, one pair of series per prompt length."""
    series: dict[tuple[str, int], Series] = {}
    for lv in run["levels"]:
        s, p = lv.get("summary") or {}, lv.get("predicted") or {}
        for kind, key in (("per user", "per_user_tokens_per_s"), ("all", "aggregate_tokens_per_s")):
            ser = series.setdefault(
                (kind, lv["n_prompt"]), Series(f"{kind}, prompt {lv['n_prompt']}")
            )
            if s.get(key) is not None:
                ser.points.append(Point(lv["users"], s[key], title=f"{s[key]:.1f} tok/s"))
            if p.get(key) is not None:
                ser.predicted.append((lv["users"], p[key], None, None))
    return sweep_chart(
        f"speed-{run['id']}", "tokens/s vs users (dashed: predicted)", "concurrent users",
        "tokens/s", "users", [s for s in series.values() if s.points or s.predicted],
    )  # fmt: skip


CSS = (
    "body{font:14px system-ui,sans-serif;margin:2em;color:#111}table{border-collapse:collapse;"
    "margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
    ".chart text{font-size:11px}.chart .t{font-size:13px;font-weight:600}.grid{stroke:#eee}"
    ".axis{stroke:#888}.limit{stroke:#999;stroke-dasharray:2 3}"
)


def render_html(runs: list[dict[str, Any]]) -> str:
    """One self-contained page: tables and inline SVG, no script, no network."""
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>rigbench serving</title><style>{CSS}</style></head><body>",
        f"<h1>rigbench serving: {len(runs)} run(s)</h1><p>{escape(NOTE)}</p>",
    ]
    for run in runs:
        parts += [f"<h2>{escape(title(run))}</h2>", html_table(HEAD, rows(run))]
        parts += [f"<p>{escape(line)}</p>" for line in ceiling(run)]
        parts += [ttft_chart(run), speed_chart(run)]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def render(runs: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps({"schema_version": SCHEMA_VERSION, "runs": runs}, indent=2)
    if fmt == "md":
        return render_md(runs)
    if fmt == "html":
        return render_html(runs)
    return render_text(runs)

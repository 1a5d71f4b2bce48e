"""rigbench's reports: measured vs predicted from the results store, as text, Markdown,
self-contained HTML or JSON; comparisons of two sweeps and the CI regression gate."""

from __future__ import annotations

import os
from io import StringIO
from pathlib import Path

from report._best import DEFAULT_OBJECTIVE, OBJECTIVES
from report._compare import Delta, compare, regressions
from report._data import Report, Row, load
from report._data import to_dict as report_to_dict

FORMATS = ("text", "md", "html", "json")

__all__ = [
    "DEFAULT_OBJECTIVE",
    "FORMATS",
    "OBJECTIVES",
    "Delta",
    "Report",
    "Row",
    "compare",
    "load",
    "regressions",
    "render",
    "report_to_dict",
]


def render(
    db: Path | None,
    sweeps: list[int] | None = None,
    fmt: str = "html",
    objective: str = DEFAULT_OBJECTIVE,
    width: int | None = None,
) -> str:
    """A measured-vs-predicted report of stored sweeps.

    Args:
        db: The results store (None: the default, ``~/.local/share/rigbench/results.db``).
        sweeps: Sweep ids to show (None: the latest).
        fmt: ``text`` (no colour), ``md``, ``html`` (one self-contained file, no network)
            or ``json`` (schema-versioned).
        objective: what the best configuration is best at: ``tg``, ``pp``, ``ttft`` or
            ``balanced`` (see ``OBJECTIVES``).
        width: columns of the text report (None: ``$COLUMNS``, else 132).

    Returns:
        The report as one string.

    Raises:
        UserError: the store holds no sweeps, or no sweep with one of the ids.
    """
    import json

    from report import _html, _render

    rep = load(db, sweeps)
    if fmt == "json":
        return json.dumps(report_to_dict(rep, objective), indent=2)
    if fmt == "md":
        return _render.render_md(rep, objective)
    if fmt == "html":
        return _html.render_html(rep, objective)
    from probe.cli_support import stdout_console

    if width is None:
        columns = os.environ.get("COLUMNS", "")
        width = int(columns) if columns.isdigit() else 132
    buf = StringIO()
    stdout_console(file=buf, width=width, color_system=None).print(
        _render.render_text(rep, objective)
    )
    return buf.getvalue()

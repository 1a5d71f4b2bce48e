"""The HTML report of a four-axis sweep, rendered in headless Chromium: not blank, no network,
one chart per varying axis plus the parity plot and the error histogram, and every series'
points share all other axis values (read from the data attributes the charts emit)."""

from __future__ import annotations

import json
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from report import _data, _html
from tests._browser import browse
from tests._sweeps import four_axis_db

Machine = Callable[..., Any]  # the conftest fixture: a recorded machine by name


class Dom(HTMLParser):
    """The elements the checks need: axis figures, series with their points, parity marks."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: list[str] = []
        self.ids: set[str] = set()
        self.series: list[dict[str, Any]] = []
        self.parity: list[str] = []
        self.details = 0
        self._svg: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "svg":
            self._svg = a.get("id")
        if tag == "figure" and "axis-chart" in a.get("class", ""):
            self.figures.append(a["data-axis"])
        if tag == "g" and a.get("class") == "series":
            self.series.append({**a, "points": [], "svg": self._svg})
        if tag == "circle" and a.get("class") == "measured" and self.series:
            self.series[-1]["points"].append(json.loads(a["data-config"]))
        if self._svg == "parity" and tag in ("circle", "rect") and "pt" in a.get("class", ""):
            self.parity.append(a["class"])
        if tag == "details":
            self.details += 1


def test_html_in_chromium(
    machine: Machine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rep = _data.load(four_axis_db(tmp_path / "r.db", machine, monkeypatch))
    page = tmp_path / "report.html"
    page.write_text(_html.render_html(rep))
    seen = browse(page, tmp_path)
    assert seen.colors > 40
    assert seen.page_requests == []
    dom_text = seen.dom
    dom = Dom()
    dom.feed(dom_text)

    # One chart per varying axis, plus the parity plot, the histogram and memory.
    assert sorted(dom.figures) == sorted(["n_depth", "n_ubatch", "n_threads", "flash_attn"])
    assert {"parity", "errors", "memory", "best", "pareto", "failures"} <= dom.ids

    # No series mixes configurations: its points differ on its own axis only.
    axis_series = [s for s in dom.series if s["svg"].startswith("axis-")]
    assert axis_series
    for s in axis_series:
        axis = s["data-axis"]
        rest = [{k: v for k, v in p.items() if k != axis} for p in s["points"]]
        assert rest and all(r == rest[0] for r in rest), s["data-series"]
        assert len({p[axis] for p in s["points"]}) == len(s["points"])
        fixed = json.loads(s["data-config"])
        assert all(rest[0][k] == v for k, v in fixed.items())
    # 2 kinds x 8 series (the other three axes) for each axis but ubatch... every one counted:
    by_svg: dict[str, int] = {}
    for s in axis_series:
        by_svg[s["svg"]] = by_svg.get(s["svg"], 0) + 1
    assert by_svg["axis-n_depth-pp"] == 8 and by_svg["axis-n_depth-tg"] == 8

    # Parity: pp and tg marked apart, calibrated and uncalibrated apart; every ok point there.
    assert len(dom.parity) == 32
    kinds = {((("pp" in c.split()) and "pp") or "tg", "uncal" in c) for c in dom.parity}
    assert kinds == {("pp", False), ("pp", True), ("tg", False), ("tg", True)}
    # The failed point's stderr tail is one click away.
    assert dom.details == 1
    assert "failed to allocate buffer" in dom_text

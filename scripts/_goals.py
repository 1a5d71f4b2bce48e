"""What every `make bench` script ends with: keep its figures under out/ and judge its goals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
Goal = tuple[str, bool, str]  # (the goal, whether it is met, the figure that decides it)


def save(name: str, results: dict[str, Any]) -> Path:
    """Write out/bench-NAME.json."""
    out = REPO / "out"
    out.mkdir(exist_ok=True)
    path = out / f"bench-{name}.json"
    path.write_text(json.dumps(results, indent=2))
    return path


def verdict(goals: list[Goal], width: int = 52) -> int:
    """One PASS/FAIL line per goal; the exit status is 1 when any is missed."""
    for name, ok, figure in goals:
        print(f"{'PASS' if ok else 'FAIL'}  {name:{width}s} {figure}")
    return 0 if all(ok for _, ok, _ in goals) else 1

"""Print the project's dependencies for ``make lint``: every runtime and test dependency but the
ones that compile llama.cpp (llama-cpp-python), so lint runs in seconds on a fresh machine.

Usage: python scripts/deps.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HEAVY = ("llama-cpp-python",)


def deps(pyproject: str) -> list[str]:
    try:
        import tomllib  # type: ignore[import-not-found,unused-ignore]  # 3.11+
    except ModuleNotFoundError:  # Python 3.10: the two lists are plain string arrays
        found = re.findall(r'^\s*"([^"]+)",?\s*(?:#.*)?$', pyproject, re.M)
        return [d for d in found if not d.startswith(HEAVY) and re.match(r"[A-Za-z]", d)]
    data = tomllib.loads(pyproject)["project"]
    names = data["dependencies"] + data["optional-dependencies"]["test"]
    return [d for d in names if not d.startswith(HEAVY)]


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1]
    # One specifier a line, unquoted: the Makefile passes them through $$(...), where quotes
    # would stay literal; no specifier here holds a space or a shell character that matters.
    sys.stdout.write("\n".join(deps((root / "pyproject.toml").read_text())) + "\n")

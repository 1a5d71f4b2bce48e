"""The layout rules of DESIGN.md, checked on the product code with ``ast``: packages meet only
through public names, modules stay small, and CLI command bodies stay thin."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("probe", "bench", "report")
ROOMS = ("model", "predictor", "run", "cli")
MAX_MODULE_LINES = 600
MAX_COMMAND_BODY_LINES = 25


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _owner(path: Path) -> tuple[str, ...]:
    """(package, room) of a module: ("bench", "predict"), ("probe",), ("bench",) …"""
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[0] == "bench" and len(parts) > 2 and parts[1] in ROOMS:
        return parts[:2]
    return parts[:1]


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
            out += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
    return out


def private_imports(code: str, as_path: Path) -> list[str]:
    """Imports in ``code`` (the module at ``as_path``) of a private module (``_x``) that
    belongs to another package, or to another room of bench."""
    owner = _owner(as_path)
    bad = []
    for line, name in _imported(ast.parse(code)):
        parts = name.split(".")
        if parts[0] not in PACKAGES:
            continue
        for i, part in enumerate(parts[1:], 1):
            if part.startswith("_") and not part.startswith("__"):
                home = tuple(parts[:i])  # the package or room the private module lives in
                if owner[: len(home)] != home:
                    bad.append(f"{as_path.relative_to(ROOT)}:{line} imports {name}")
                break
    return list(dict.fromkeys(b.rsplit(".", 1)[0] if b.count(".") > 2 else b for b in bad))


def test_no_module_imports_another_package_private_module() -> None:
    bad = [b for p in _modules() for b in private_imports(p.read_text(), p)]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize(
    ("where", "code", "flagged"),
    [
        ("report/_data.py", "from bench.run._sweep import x\n", True),
        ("bench/predictor/_plan.py", "from bench.model._hub import x\n", True),
        ("bench/predictor/_plan.py", "from bench.model import _hub\n", True),
        ("bench/run/_sweep.py", "from probe._nvidia import MemorySampler\n", True),
        ("report/cli.py", "import bench._store\n", True),
        ("bench/predictor/_plan.py", "from bench.predictor._memory import x\n", False),
        ("bench/predictor/_plan.py", "from bench.model import resolve_model\n", False),
        ("probe/cli.py", "from probe._render import render_text\n", False),
        ("bench/cli/_sweep.py", "from bench.cli._options import axis\n", False),
    ],
)
def test_the_import_rule_flags_what_it_should(where: str, code: str, flagged: bool) -> None:
    assert bool(private_imports(code, ROOT / where)) is flagged


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_stay_under_600_lines(path: Path) -> None:
    n = len(path.read_text().splitlines())
    assert n <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)} has {n} lines"


def _is_command(fn: ast.FunctionDef) -> bool:
    """Decorated with ``@<group>.command(...)`` or ``@<group>.group(...)``."""
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute) and target.attr in ("command", "group"):
            return True
    return False


def command_bodies() -> list[tuple[str, int]]:
    """(name, lines of body without its docstring) of every CLI command."""
    out = []
    for path in _modules():
        if "cli" not in path.relative_to(ROOT).parts[-2:] and path.name != "cli.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and _is_command(node):
                body = node.body
                if (
                    body
                    and isinstance(body[0], ast.Expr)
                    and isinstance(body[0].value, ast.Constant)
                ):
                    body = body[1:]
                lines = (body[-1].end_lineno or 0) - body[0].lineno + 1 if body else 0
                out.append((f"{path.relative_to(ROOT)}:{node.name}", lines))
    return out


def test_cli_command_bodies_are_thin() -> None:
    bodies = command_bodies()
    assert len(bodies) >= 15  # probe, bench and report commands were all found
    fat = [f"{name}: {n} lines" for name, n in bodies if n > MAX_COMMAND_BODY_LINES]
    assert not fat, "\n".join(fat)


def test_only_the_store_runs_sql() -> None:
    sql_calls = ("execute", "executemany", "executescript")
    bad = []
    for path in _modules():
        if path == ROOT / "bench" / "store.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            call = node.func if isinstance(node, ast.Call) else None
            if isinstance(call, ast.Attribute) and call.attr in sql_calls:
                bad.append(f"{path.relative_to(ROOT)}:{node.lineno} calls .{call.attr}()")
    assert not bad, "\n".join(bad)


def test_lint_dependencies_reach_pip_as_plain_specifiers() -> None:
    """make lint passes scripts/deps.py's output through the shell's $(...): each word must be a
    bare specifier (a quote would reach pip literally), and llama.cpp is never compiled."""
    import re
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    words = subprocess.run(
        ["sh", "-c", f'for w in $("{sys.executable}" scripts/deps.py); do echo "$w"; done'],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")[:-1]
    assert "click>=8.1" in words and "pytest>=8.0" in words
    assert all(
        re.fullmatch(r"[A-Za-z][A-Za-z0-9_.\-\[\],]*([<>=!~]=?[\w.*,<>=!~]+)?", w) for w in words
    )
    assert not any(w.startswith("llama-cpp-python") for w in words)

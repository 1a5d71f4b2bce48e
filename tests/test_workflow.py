"""The shipped GitHub Actions example runs probe -> sweep -> report -> export -> gate (against
the repository's baseline bundles) with real flags."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from click.testing import CliRunner

WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "gpu-regression.yml"


def test_workflow_commands_use_flags_that_exist() -> None:
    from bench.cli import cli as bench
    from probe.cli import cli as probe
    from report.cli import cli as report

    text = WORKFLOW.read_text()
    steps = ("probe detect", "bench sweep", "report --latest", "report export", "report gate")
    order = [text.index(s) for s in steps]
    assert order == sorted(order) and "GITHUB_STEP_SUMMARY" in text
    # The baseline is bundles in the repository, not a sweep id in a runner-local database.
    assert "--baseline baseline/" in text and "run.rigbench.json" in text
    tools = {"probe": probe, "bench": bench, "report": report}
    joined = text.replace("\\\n", " ")
    for line in re.findall(r"\.venv/bin/(\w+ [^\n|>]*)", joined):
        words = shlex.split(line)
        tool, args = words[0], [w for w in words[1:] if w not in ("||",)]
        # --help after the real arguments: click validates every option name it saw first.
        res = CliRunner().invoke(tools[tool], [*args, "--help"])
        assert res.exit_code == 0, (line, res.output)

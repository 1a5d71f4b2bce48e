"""``bench sweep``: measure a model over the axes, store measured vs predicted."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from bench.cli import _render
from bench.cli._group import cli
from bench.cli._options import fraction, model_option, positive, sweep_axes
from bench.cli._progress import rich_tqdm
from bench.records import SweepOptions, SweepRequest
from bench.run import outcome_to_dict, run_sweep
from probe.cli_support import db_option, format_option, stderr_console, stdout_console, write_output
from probe.errors import UserError


@cli.command("sweep")
@model_option
@click.option("--quant", default=None, help="Comma list (default: the largest that fits).")
@click.option("--ctx", default="4096", show_default=True, help="Context to fit; 'auto': largest.")
@click.option("--depth", default="0", show_default=True, help="KV depths: list or range.")
@click.option("-p", "n_prompt", default="512", show_default=True)
@click.option("-n", "n_gen", default="128", show_default=True)
@click.option("--batch", "-b", default="2048", show_default=True)
@click.option("--ubatch", "-ub", default="512", show_default=True)
@click.option("--ngl", default="-1", show_default=True, help="GPU layers: list, range, or auto.")
@click.option("--threads", "-t", default="0", show_default=True, help="0: physical cores.")
@click.option("--fa", default="on", show_default=True, help="on, off or on,off.")
@click.option("--ctk", default="f16", show_default=True)
@click.option("--ctv", default="f16", show_default=True)
@click.option("--n-cpu-moe", default="0", show_default=True)
@click.option("-r", "repetitions", type=click.IntRange(1, 1000), default=3, show_default=True)
@click.option("--delay", type=click.IntRange(0, 3600), default=0, help="Seconds between tests.")
@click.option("--timeout", type=float, default=600, show_default=True, help="Seconds per point.")
@click.option(
    "--max-cv",
    default="5%",
    show_default=True,
    help="Exit 2 when a point's stddev/mean exceeds this (unstable timings).",
)
@click.option("--engine", type=click.Choice(["llama-bench", "llama-cpp-python"]), default=None)
@click.option("--llama-bench", "llama_bench", default=None, help="Use this llama-bench.")
@db_option()
@click.option("--resume", is_flag=True, help="Skip points this sweep already measured.")
@click.option("--retry-failed", is_flag=True, help="Resume, and run failed points again.")
@click.option("--force", is_flag=True, help="Run points predicted not to fit.")
@click.option("--dry-run", is_flag=True, help="Plan and stop before downloading.")
@click.option("--offline", is_flag=True, help="Use the HF cache only.")
@click.option("--reprobe", is_flag=True, help="Probe and measure the host again (once per boot).")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path))
@format_option("text", "json")
def sweep_cmd(report_path: Path | None, fmt: str, **flags: Any) -> None:
    """Download a model, sweep llama.cpp over the axes, store measured vs predicted."""
    req = _request(flags)
    outcome = run_sweep(req, log=stderr_console().print, tqdm_class=rich_tqdm())
    if req.dry_run:
        return
    if fmt == "json":
        write_output(json.dumps(outcome_to_dict(outcome), indent=2), None)
    else:
        stdout_console().print(_render.render_sweep(outcome))
    if report_path is not None:
        import report

        ids = [s.sweep_id for _, s in outcome.results]
        write_output(report.render(outcome.db, ids, "html"), report_path)
        stderr_console().print(f"report: {report_path}")
    if outcome.exit_status:
        stderr_console().print(f"exit {outcome.exit_status}: {outcome.reason}")
        sys.exit(outcome.exit_status)


def _request(f: dict[str, Any]) -> SweepRequest:
    """The SweepRequest of the command's flags, every value checked."""
    ctx, ngl = str(f["ctx"]), str(f["ngl"])
    if ctx != "auto" and not ctx.isdigit():
        raise UserError(f"cannot read --ctx {ctx!r}", hint="give a number of tokens, or auto")
    axes = sweep_axes(
        f["n_prompt"], f["n_gen"], f["depth"], f["batch"], f["ubatch"], ngl, f["threads"],
        f["fa"], f["ctk"], f["ctv"], f["n_cpu_moe"],
    )  # fmt: skip
    options = SweepOptions(
        repetitions=f["repetitions"],
        delay_s=f["delay"],
        timeout_s=positive("--timeout", f["timeout"]),
        force=bool(f["force"]),
        resume=bool(f["resume"]),
        retry_failed=bool(f["retry_failed"]),
        max_cv=fraction("--max-cv", f["max_cv"]),
    )
    return SweepRequest(
        model=f["model"],
        axes=axes,
        quants=tuple(q for q in (f["quant"] or "").split(",") if q),
        ctx=4096 if ctx == "auto" else max(int(ctx), 256),
        ctx_auto=ctx == "auto",
        ngl_auto=ngl == "auto",
        options=options,
        engine=f["engine"] or None,
        llama_bench=f["llama_bench"] or None,
        db=f["db"],
        dry_run=bool(f["dry_run"]),
        offline=bool(f["offline"]),
        reprobe=bool(f["reprobe"]),
    )

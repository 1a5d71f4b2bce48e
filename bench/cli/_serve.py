"""``bench serve``: how many users can share this machine — TTFT, tokens/s per user and in all,
and energy per token, measured on llama-server beside the prediction."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from rich.table import Table

from bench.cli._group import cli
from bench.cli._options import axis, duration, model_option, positive
from bench.run import (
    ServeOutcome,
    ServeRequest,
    batched_bench_summary,
    run_serve,
    serve_outcome_to_dict,
)
from bench.store import default_path
from probe.cli_support import db_option, format_option, stderr_console, stdout_console, write_output


@cli.command("serve")
@model_option
@click.option("--ctx", type=click.IntRange(256), default=32768, show_default=True, help="-c.")
@click.option("--users", default="1,2,4,8", show_default=True, help="Concurrent users per level.")
@click.option("--prompt", default="512,8192", show_default=True, help="Prompt tokens per level.")
@click.option("--gen", type=click.IntRange(1), default=256, show_default=True)
@click.option("--duration", default="60s", show_default=True, help="Per level.")
@click.option("--max-requests", type=click.IntRange(1), default=1000, help="Per user and level.")
@click.option("--price-kwh", type=float, default=0.30, show_default=True, help="Per kWh.")
@click.option("--threads", "-t", type=click.IntRange(0), default=0, help="0: llama.cpp's.")
@click.option("--llama-server", "llama_server", default=None, help="Use this llama-server.")
@click.option("--no-batched-bench", is_flag=True, help="Skip llama-batched-bench.")
@click.option("--offline", is_flag=True, help="Use the HF cache only.")
@db_option()
@format_option("text", "json")
def serve_cmd(fmt: str, **f: Any) -> None:
    """Serve a model with llama-server to N concurrent users; measure TTFT, tokens/s, energy."""
    req = ServeRequest(
        model=f["model"], ctx=f["ctx"], users=tuple(axis(f["users"], [1], "--users", 1)),
        prompts=tuple(axis(f["prompt"], [512], "--prompt", 1)), n_gen=f["gen"],
        duration_s=duration(f["duration"]), max_requests=f["max_requests"],
        price_kwh=positive("--price-kwh", f["price_kwh"], allow_zero=True),
        threads=f["threads"], llama_server=f["llama_server"],
        batched_bench=not f["no_batched_bench"], offline=bool(f["offline"]),
        db=f["db"] or default_path(),
    )  # fmt: skip
    outcome = run_serve(req, log=stderr_console().print)
    if fmt == "json":
        write_output(json.dumps(serve_outcome_to_dict(outcome), indent=2), None)
    else:
        stdout_console().print(render_serve(outcome))
    if outcome.exit_status:
        stderr_console().print(f"exit {outcome.exit_status}: {outcome.reason}")
        sys.exit(outcome.exit_status)


def _f(v: float | None, scale: float = 1.0, nd: int = 1) -> str:
    return "NA" if v is None else f"{v * scale:.{nd}f}"


def render_serve(o: ServeOutcome) -> Table:
    """One row per level: measured, then predicted in brackets."""
    t = Table(title=f"serving {o.model.get('file', '')}: measured (predicted)")
    for h in ("users", "prompt", "reqs", "err", "TTFT p50 ms", "TTFT p95 ms", "tok/s/user",
              "tok/s all", "J/token", f"per 1M tok @{o.price_kwh}/kWh"):  # fmt: skip
        t.add_column(h, justify="right")
    for lv in o.levels:
        p = o.prediction.level(lv.users, lv.n_prompt)
        if lv.skipped:
            t.add_row(str(lv.users), str(lv.n_prompt), "-", "-", f"skipped: {lv.skipped}")
            continue
        s = lv.stats(o.price_kwh)
        na = lv.energy.get("reason") or "NA"
        t.add_row(
            str(lv.users), str(lv.n_prompt), str(s["requests"]), str(s["errors"]),
            f"{_f(s['ttft_p50_s'], 1e3, 0)} ({_f(p.ttft_s if p else None, 1e3, 0)})",
            f"{_f(s['ttft_p95_s'], 1e3, 0)} ({_f(p.ttft_burst_s if p else None, 1e3, 0)})",
            f"{_f(s['per_user_tokens_per_s'])} ({_f(p.per_user_tokens_per_s if p else None)})",
            f"{_f(s['aggregate_tokens_per_s'])} ({_f(p.aggregate_tokens_per_s if p else None)})",
            _f(s["joules_per_token"], nd=3) if s["joules_per_token"] is not None else "NA",
            _f(s["cost_per_million_tokens"], nd=3) if s["cost_per_million_tokens"] else na,
        )  # fmt: skip
    if o.batched_bench or o.batched_bench_error:
        t.caption = batched_bench_summary(list(o.batched_bench), o.batched_bench_error)
    return t

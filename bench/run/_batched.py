"""llama-batched-bench beside a ``bench serve`` run: the engine-side ceiling of the same model,
flags and slots, without HTTP or scheduling (issue 17)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.predictor import run_to_files
from bench.run._process import _die_with_parent, parse_jsonl

if TYPE_CHECKING:
    from bench.run._serve import ServeRequest


def batched_bench_argv(
    binary: Path, model: Path, flags: list[str], ctx: int, req: ServeRequest
) -> list[str]:
    # The last user count runs twice: llama.cpp's logger writes from a worker thread and drops
    # what is still queued when the tool exits (llama.cpp issue 22142; on a busy 2-core runner
    # it lost every row of a fast run, 0c1e570). The repeat keeps the process alive until the
    # rows that matter are written; run_batched_bench keeps the first row of each level.
    users = [*req.users, req.users[-1]]
    return [
        str(binary), "-m", str(model), *flags, "-c", str(ctx),
        "-npp", ",".join(map(str, req.prompts)), "-ntg", str(req.n_gen),
        "-npl", ",".join(map(str, users)), "--output-format", "jsonl",
    ]  # fmt: skip


def expected_rows(req: ServeRequest) -> set[tuple[int, int]]:
    """(pl, pp) levels llama-batched-bench runs: those whose pl x (pp + tg) fit -c."""
    return {(n, p) for n in req.users for p in req.prompts if n * (p + req.n_gen) <= req.ctx}


def batched_bench_summary(rows: list[dict[str, Any]], error: str | None) -> str:
    """One line: llama-batched-bench's generation tokens/s per (users, prompt), or why none."""
    ceil = ", ".join(
        f"{r.get('pl')}x pp{r.get('pp')}: {r.get('speed_tg', 0):.1f} tok/s" for r in rows
    )
    return f"llama-batched-bench tg ceiling: {ceil or error or 'no rows'}"


BATCHED_ATTEMPTS = 4  # runs of llama-batched-bench before a lost row is named (a 2 MB model: ms)


def run_batched_bench(
    argv: list[str], timeout_s: float, expected: set[tuple[int, int]] | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """llama-batched-bench's rows (its JSONL, the first of each (pl, pp)), or an error line.
    Rows whose pl x (pp + tg) exceed -c are skipped by the tool itself; rows ``expected`` but
    lost by its logger are retried (BATCHED_ATTEMPTS runs in all), then named."""
    rows: dict[tuple[Any, Any], dict[str, Any]] = {}
    for _attempt in range(BATCHED_ATTEMPTS):
        try:  # files, not pipes: what the logger thread writes at exit survives more often
            done, stdout, stderr = run_to_files(
                argv, timeout_s, preexec_fn=_die_with_parent(), start_new_session=True
            )
        except subprocess.TimeoutExpired:
            return list(rows.values()), f"llama-batched-bench timed out after {timeout_s:.0f} s"
        code = done.returncode
        for r in parse_jsonl(stdout + "\n" + stderr):
            rows.setdefault((r.get("pl"), r.get("pp")), r)
        if code != 0:
            tail = " | ".join(stderr.strip().splitlines()[-3:])
            return list(rows.values()), f"llama-batched-bench exited {code}: {tail[:300]}"
        missing = (expected or set()) - set(rows)
        if not missing:
            return list(rows.values()), None
    lost = ", ".join(f"{n} users x pp{p}" for n, p in sorted(missing))
    return list(rows.values()), (
        f"llama-batched-bench printed no row for {lost} in {BATCHED_ATTEMPTS} runs (llama.cpp's "
        "logger drops lines at exit, issue 22142)"
    )

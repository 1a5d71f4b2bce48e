"""``bench serve`` results in the results store: a run row first, then each level as soon as it
finishes (so Ctrl-C mid-level keeps the finished ones), then the run's status."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import probe
from bench.predictor import ServingPrediction
from bench.store import Store

if TYPE_CHECKING:
    from bench.run._serve import LevelResult, ServeRequest


def level_row(lv: LevelResult, prediction: ServingPrediction, price_kwh: float) -> dict[str, Any]:
    """A level as the store keeps it: summary statistics, its prediction, raw requests."""
    p = prediction.level(lv.users, lv.n_prompt)
    return {
        "users": lv.users,
        "n_prompt": lv.n_prompt,
        "n_gen": lv.n_gen,
        "skipped": lv.skipped,
        "summary": lv.stats(price_kwh) | {"wall_s": lv.wall_s} if lv.skipped is None else None,
        "predicted": dataclasses.asdict(p) if p is not None else None,
        "energy": lv.energy or None,
        "requests": [dataclasses.asdict(r) for r in lv.requests],
    }


@dataclass(frozen=True, slots=True)
class ServeRecorder:
    """Stores a serve run's parts as they finish: each level, then llama-batched-bench's rows."""

    level: Callable[[LevelResult], None]
    batched_bench: Callable[[list[dict[str, Any]], str | None], None]


_NOTHING = ServeRecorder(lambda _: None, lambda _rows, _error: None)


@contextlib.contextmanager
def recording(
    req: ServeRequest,
    host: probe.HostProfile,
    run: dict[str, Any],
    prediction: ServingPrediction,
) -> Iterator[ServeRecorder]:
    """Yield the recorder of one run (a no-op without ``req.db``). The run's status on the way
    out: done, done-with-failures, interrupted (Ctrl-C) or failed."""
    if req.db is None:
        yield _NOTHING
        return
    store = Store.open(req.db)
    failures = 0
    try:
        fp = store.add_host(host)
        args = {k: v for k, v in dataclasses.asdict(req).items() if k not in ("host", "db")}
        run_id = store.start_serve(
            fp, run["model"], run["engine"], args | {"server_argv": run["argv"]},
            prediction.to_dict(),
        )  # fmt: skip

        def add(lv: LevelResult) -> None:
            nonlocal failures
            failures += lv.failed
            store.add_serve_level(run_id, level_row(lv, prediction, req.price_kwh))

        def batched(rows: list[dict[str, Any]], error: str | None) -> None:
            store.add_serve_batched_bench(run_id, {"rows": rows, "error": error})

        try:
            yield ServeRecorder(add, batched)
        except KeyboardInterrupt:
            store.finish_serve(run_id, "interrupted")
            raise
        except BaseException:
            store.finish_serve(run_id, "failed")
            raise
        store.finish_serve(run_id, "done-with-failures" if failures else "done")
    finally:
        store.close()

"""rigbench's bench: plan, predict and measure GGUF models with llama.cpp.

Three rooms, each with one door, and a store:

- ``bench.model``: what a model is (``resolve_model``, GGUF headers, the hub, twins);
- ``bench.predictor``: what will happen (memory, speed, calibration, the planner);
- ``bench.run``: what does happen (engines, processes, ``run_sweep``);
- ``bench.store``: the results database, the only module with SQL; ``bench.records``: the typed
  records that cross these boundaries.

The names below are the public API; see the README's "From Python".
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.model import ModelSource, ModelSpec, resolve_model
    from bench.predictor import PlanResult, PredictResult, plan, predict
    from bench.records import (
        Axes,
        Calibration,
        DeviceMemory,
        Measurement,
        MemConfig,
        Prediction,
        RunConfig,
        SpeedPrediction,
        StoredPoint,
        SweepInfo,
        SweepOptions,
        SweepRequest,
        parse_axis,
    )
    from bench.run import SweepOutcome, run_sweep
    from bench.store import Store

# Where each public name lives. The rooms are imported on first use, so `import bench` (and
# report, which reads only records and the store) does not pay for numpy, gguf and the engines.
_HOME = {
    **dict.fromkeys(("ModelSource", "ModelSpec", "resolve_model"), "bench.model"),
    **dict.fromkeys(("PlanResult", "PredictResult", "plan", "predict"), "bench.predictor"),
    **dict.fromkeys(("SweepOutcome", "run_sweep"), "bench.run"),
    "Store": "bench.store",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name) or ("bench.records" if name in __all__ else None)
    if home is None:
        raise AttributeError(f"module 'bench' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


__all__ = [
    "Axes",
    "Calibration",
    "DeviceMemory",
    "Measurement",
    "MemConfig",
    "ModelSource",
    "ModelSpec",
    "PlanResult",
    "PredictResult",
    "Prediction",
    "RunConfig",
    "SpeedPrediction",
    "Store",
    "StoredPoint",
    "SweepInfo",
    "SweepOptions",
    "SweepOutcome",
    "SweepRequest",
    "parse_axis",
    "plan",
    "predict",
    "resolve_model",
    "run_sweep",
]

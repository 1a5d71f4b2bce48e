"""What will happen: memory per device (formula and llama.cpp's exact dry run), prompt and
generation speed, calibration from measurements, and the planner (which quant, which placement,
which flags). Reads models only through ``bench.model``; writes nothing but calibrations.
"""

from __future__ import annotations

from bench.predictor._calibrate import (
    CalibrationFit,
    Point,
    calibrate,
    fit,
    load_calibrations,
    measured_backends,
)
from bench.predictor._memory import (
    EXACT_PREDICTOR,
    KV_TYPE_BYTES,
    Device,
    MemoryPrediction,
    kv_bytes_per_layer,
    layer_devices,
    parse_breakdown,
    parse_load_log,
    predict_exact,
    predict_formula,
)
from bench.predictor._plan import (
    Budget,
    CtxPlan,
    Fit,
    PlanResult,
    QuantPlan,
    best_fit,
    budget,
    fits,
    flags,
    max_ctx,
    plan,
    plan_to_dict,
)
from bench.predictor._predict import PredictResult, predict, predict_to_dict
from bench.predictor._published import Comparison, compare_published, median_abs_error
from bench.predictor._speed import (
    EFFICIENCY,
    PREDICTOR,
    PREDICTOR_VERSION,
    Calibration,
    choose_backend,
    predict_speed,
)

__all__ = [
    "EFFICIENCY",
    "EXACT_PREDICTOR",
    "KV_TYPE_BYTES",
    "PREDICTOR",
    "PREDICTOR_VERSION",
    "Budget",
    "Calibration",
    "CalibrationFit",
    "Comparison",
    "CtxPlan",
    "Device",
    "Fit",
    "MemoryPrediction",
    "PlanResult",
    "Point",
    "PredictResult",
    "QuantPlan",
    "best_fit",
    "budget",
    "calibrate",
    "choose_backend",
    "compare_published",
    "fit",
    "fits",
    "flags",
    "kv_bytes_per_layer",
    "layer_devices",
    "load_calibrations",
    "max_ctx",
    "measured_backends",
    "median_abs_error",
    "parse_breakdown",
    "parse_load_log",
    "plan",
    "plan_to_dict",
    "predict",
    "predict_exact",
    "predict_formula",
    "predict_speed",
    "predict_to_dict",
]

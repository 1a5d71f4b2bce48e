"""``predict``: tokens/s of a model on a machine for a list of points, term by term."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bench.model import ModelSource, resolve_model
from bench.predictor._speed import PREDICTOR_VERSION, predict_speed
from bench.records import Calibration, RunConfig, SpeedPrediction
from probe import HostProfile

# `bench predict --format json` schema history:
#   1 — first version (rigbench 0.1): one model, its predictions per config.
#   2 — a list of models (every quant of a repo), each with its source label.
SCHEMA_VERSION = 2


@dataclass(frozen=True, slots=True)
class PredictResult:
    """The predictions for one model on one machine."""

    source: ModelSource
    host: HostProfile
    points: tuple[tuple[RunConfig, SpeedPrediction], ...]


def predict(
    model: str | ModelSource,
    host: HostProfile,
    configs: list[RunConfig],
    calibrations: dict[str, Calibration] | None = None,
    quant: str | None = None,
) -> list[PredictResult]:
    """Predict prompt-processing and generation tokens/s, without downloading or writing.

    Args:
        model: A ``--model`` string (every syntax ``resolve_model`` reads) or one source.
        host: The machine: ``probe.detect()`` or ``probe.load_host(hardware=...)``.
        configs: The points to predict (llama-bench's fields: n_prompt tokens, n_depth
            tokens of KV cache already filled, threads, GPU layers …).
        calibrations: This host's fitted corrections per backend (``load_calibrations``).
        quant: Only this quant of a repo.

    Returns:
        One PredictResult per model (every quant of a repo unless one is named); each
        SpeedPrediction gives tokens/s, the bounding term and seconds per token by term.
    """
    sources = [model] if isinstance(model, ModelSource) else resolve_model(model, [quant or ""])
    return [
        PredictResult(
            s,
            host,
            tuple((cfg, predict_speed(s.spec, host, cfg, calibrations)) for cfg in configs),
        )
        for s in sources
    ]


def predict_to_dict(results: list[PredictResult]) -> dict[str, Any]:
    """The JSON form of ``bench predict`` (schema-versioned)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "predictor_version": PREDICTOR_VERSION,
        "host": results[0].host.source if results else None,
        "models": [
            {
                "model": {
                    "label": r.source.label,
                    "kind": r.source.kind,
                    "name": r.source.spec.name,
                    "architecture": r.source.spec.architecture,
                    "quant": r.source.spec.quant,
                    "n_params": r.source.spec.n_params,
                    "weight_bytes": r.source.spec.weight_bytes,
                },
                "predictions": [
                    {"config": c.to_dict(), **dataclasses.asdict(p)} for c, p in r.points
                ],
            }
            for r in results
        ],
    }

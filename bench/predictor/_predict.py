"""``predict``: tokens/s of a model on a machine for a list of points, term by term."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bench.model import ModelSource, ModelSpec, resolve_model
from bench.predictor._memory import predict_formula
from bench.predictor._plan import Budget, best_fit, budget, fits, flags
from bench.predictor._speed import PREDICTOR_VERSION, NotModelled, predict_speed
from bench.records import Calibration, RunConfig, SpeedPrediction
from probe import HostProfile

# `bench predict --format json` schema history:
#   1 — first version (rigbench 0.1): one model, its predictions per config.
#   2 — a list of models (every quant of a repo), each with its source label and the notes on
#       the placement predicted when the asked one does not fit.
SCHEMA_VERSION = 2


@dataclass(frozen=True, slots=True)
class PredictResult:
    """The predictions for one model on one machine."""

    source: ModelSource
    host: HostProfile
    points: tuple[tuple[RunConfig, SpeedPrediction], ...]  # the config predicted, as placed
    notes: tuple[str, ...] = ()


def placement(spec: ModelSpec, cfg: RunConfig, b: Budget) -> tuple[RunConfig, str | None]:
    """The point as llama.cpp can run it: as asked when it fits the GPUs, else with the
    planner's placement (fewest expert layers on the CPU, else the most layers that fit), and a
    note saying so."""
    if not b.gpus or fits(predict_formula(spec, cfg.mem_config(), list(b.gpus)), b):
        return cfg, None
    fit = best_fit(spec, cfg.mem_config(), b)
    asked = f"-ngl {'all' if cfg.n_gpu_layers < 0 else cfg.n_gpu_layers}"
    if cfg.n_cpu_moe:
        asked += f" --n-cpu-moe {cfg.n_cpu_moe}"
    if fit.verdict == "none":
        return cfg, f"{asked} does not fit, nor does any placement: predicted as asked"
    used = dataclasses.replace(cfg, n_gpu_layers=fit.cfg.n_gpu_layers, n_cpu_moe=fit.cfg.n_cpu_moe)
    how = flags(spec, fit.cfg).split(" -c ")[0]  # the placement flags, not the context ones
    return used, f"{asked} does not fit: predicted {fit.description} ({how})"


def predict(
    model: str | ModelSource,
    host: HostProfile,
    configs: list[RunConfig],
    calibrations: dict[str, Calibration] | None = None,
    quant: str | None = None,
    backend: str | None = None,
) -> list[PredictResult]:
    """Predict prompt-processing and generation tokens/s, without downloading or writing.

    Args:
        model: A ``--model`` string (every syntax ``resolve_model`` reads) or one source.
        host: The machine: ``probe.detect()`` or ``probe.load_host(hardware=...)``.
        configs: The points to predict (llama-bench's fields: n_prompt tokens, n_depth
            tokens of KV cache already filled, threads, GPU layers …). A point whose placement
            does not fit the GPUs is predicted with the planner's placement instead, and a note
            says so.
        calibrations: This host's fitted corrections per backend (``load_calibrations``).
        quant: Only this quant of a repo.
        backend: The llama.cpp backend (cuda, rocm, metal, vulkan; cpu: GPUs unused); None
            picks the host's own.

    Returns:
        One PredictResult per model (every quant of a repo unless one is named); each
        SpeedPrediction gives tokens/s, the bounding term and seconds per token by term.
    """
    sources = [model] if isinstance(model, ModelSource) else resolve_model(model, [quant or ""])
    b = budget(host, backend)
    out = []
    for s in sources:
        points, notes = [], []
        for cfg in configs:
            used, note = placement(s.spec, cfg, b)
            try:
                points.append((used, predict_speed(s.spec, host, used, calibrations, backend)))
            except NotModelled as exc:
                notes.append(exc.message)
                break
            if note:
                notes.append(note)
        out.append(PredictResult(s, host, tuple(points), tuple(dict.fromkeys(notes))))
    return out


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
                "notes": list(r.notes),
                "predictions": [
                    {"config": c.to_dict(), **dataclasses.asdict(p)} for c, p in r.points
                ],
            }
            for r in results
        ],
    }

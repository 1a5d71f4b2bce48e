"""What a report shows, read from the results store: one sweep's host, engine, model and points,
with measured vs predicted figures and the accuracy summary."""

from __future__ import annotations

import dataclasses
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.records import SPEED_PREDICTOR_VERSION as PREDICTOR_VERSION
from bench.records import RunConfig, StoredPoint
from bench.store import Store
from probe import HostProfile
from probe.errors import UserError

# Report JSON schema history:
#   1 — first version (rigbench 0.1).
SCHEMA_VERSION = 1


@dataclass(frozen=True, slots=True)
class Row:
    """One point: its configuration, what was measured and what was predicted for it."""

    test: str  # pp512@d1024 style
    kind: str  # pp | tg
    cfg: RunConfig
    status: str  # ok | failed | skipped
    why: str | None
    measured: float | None
    stddev: float | None
    samples_ns: list[int]
    predicted: float | None
    ceiling: float | None
    dominant: str | None
    predictor_version: str | None
    peak_rss_bytes: int | None
    predicted_host_bytes: int | None
    calibrated_points: int = 0  # the calibration the prediction was made with (0: none)
    mem_measured: dict[str, int] | None = None  # the engine's own buffers (host), when printed
    mem_predicted: dict[str, int] | None = None  # the formula's host components
    gpu_peaks: dict[str, int] | None = None  # peak used memory per GPU during the process
    load_s: float | None = None

    @property
    def error(self) -> float | None:
        if self.measured and self.predicted and self.comparable:
            return (self.predicted - self.measured) / self.measured
        return None

    @property
    def comparable(self) -> bool:
        return self.predictor_version == PREDICTOR_VERSION

    @property
    def efficiency(self) -> float | None:
        """How close the measurement came to the physical ceiling."""
        return self.measured / self.ceiling if self.measured and self.ceiling else None


@dataclass(frozen=True, slots=True)
class Part:
    """One sweep: a model measured with one engine on one host."""

    sweep_id: int
    created_at: str
    engine: dict[str, Any]
    model: dict[str, Any]
    rows: tuple[Row, ...]

    def load(self, host: HostProfile | None) -> tuple[float | None, float | None]:
        """(measured, predicted) model load seconds; predicted = size / measured disk speed."""
        measured = next((r.load_s for r in self.rows if r.load_s), None)
        size = self.model.get("size_bytes")
        speed = next(
            (
                d.measured_read_bytes_per_s
                for d in (host.disks if host else ())
                if d.holds_hf_cache and d.measured_read_bytes_per_s
            ),
            None,
        )
        return measured, (size / speed if size and speed else None)

    @property
    def label(self) -> str:
        m = self.model
        name = m.get("repo") or m.get("file") or "model"
        return f"{name}:{m['quant']}" if m.get("repo") and m.get("quant") else str(name)


@dataclass(frozen=True, slots=True)
class Report:
    host: HostProfile | None
    parts: tuple[Part, ...]
    calibrated_points: int
    db: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def rows(self) -> tuple[Row, ...]:
        return tuple(r for p in self.parts for r in p.rows)

    def accuracy(self) -> dict[str, dict[str, float | int | None]]:
        """Median and worst |error| per metric over comparable measured points."""
        out: dict[str, dict[str, float | int | None]] = {}
        for kind in ("pp", "tg"):
            errs = [abs(r.error) for r in self.rows if r.kind == kind and r.error is not None]
            out[kind] = {
                "points": len(errs),
                "median_abs_error": statistics.median(errs) if errs else None,
                "worst_abs_error": max(errs) if errs else None,
            }
        return out

    def best(self, kind: str) -> tuple[Part, Row] | None:
        ok = [(p, r) for p in self.parts for r in p.rows if r.kind == kind and r.measured]
        return max(ok, key=lambda pr: pr[1].measured or 0) if ok else None


def _row(p: StoredPoint) -> Row:
    cfg, m, kind = p.config, p.measurement, p.kind
    speed = p.prediction.speed if p.prediction else None
    memory = p.prediction.memory if p.prediction else ()
    record = m.engine_record or {}
    host_pred = dataclasses.asdict(memory[0]) if memory else None
    return Row(
        test=p.test,
        kind=kind,
        cfg=cfg,
        status=m.status,
        why=m.why,
        measured=m.avg_ts,
        stddev=m.stddev_ts,
        samples_ns=list(m.samples_ns),
        predicted=p.prediction.tokens_per_s(kind) if p.prediction else None,
        ceiling=getattr(speed, f"{kind}_ceiling_tokens_per_s", None) if speed else None,
        dominant=getattr(speed, f"{kind}_dominant", None) if speed else None,
        predictor_version=speed.predictor_version if speed else None,
        peak_rss_bytes=m.peak_rss_bytes,
        predicted_host_bytes=(
            p.prediction.memory_total_bytes[0]
            if p.prediction and p.prediction.memory_total_bytes
            else None
        ),
        calibrated_points=speed.calibrated_points if speed else 0,
        mem_measured=record.get("memory_breakdown"),
        mem_predicted=host_pred,
        gpu_peaks=m.peak_gpu_bytes,
        load_s=m.load_s,
    )


def sweep_ids(store: Store) -> list[int]:
    return [s.id for s in store.sweeps()]


def load(db: Path | None, sweeps: list[int] | None = None) -> Report:
    """The latest sweep, or the given ones, from the store at ``db`` (default location), opened
    read-only: a report never writes, so it reads stores on read-only media too."""
    store = Store.open(db, readonly=True)
    try:
        ids = sweep_ids(store)
        if not ids:
            raise UserError(
                f"{store.path} holds no sweeps yet",
                hint="run one: bench sweep --model synth:llama:250M:Q4_K_M",
            )
        wanted = sweeps or [ids[-1]]
        missing = [s for s in wanted if s not in ids]
        if missing:
            raise UserError(
                f"no sweep {', '.join(map(str, missing))} in {store.path}",
                hint=f"sweeps there: {', '.join(map(str, ids[-10:]))} (or --latest)",
            )
        parts = []
        hosts = set()
        for sid in wanted:
            meta = store.sweep(sid)
            assert meta is not None  # checked against sweep_ids above
            hosts.add(meta.host_fingerprint)
            point_rows = tuple(_row(p) for p in store.points(sweep_id=sid))
            parts.append(Part(sid, meta.created_at, meta.engine, meta.model, point_rows))
        fp = sorted(hosts)[0]
        notes = []
        if len(hosts) > 1:
            notes.append("these sweeps come from different machines: use `report compare`")
        rows = [r for p in parts for r in p.rows]
        if any(not r.comparable for r in rows if r.predicted is not None):
            notes.append(
                "some predictions come from another predictor version: marked "
                "'not comparable' and left out of the accuracy summary"
            )
        # Whether the predictions shown used a calibration: the largest any of them used.
        used = max((r.calibrated_points for r in rows), default=0)
        return Report(
            host=store.host_profile(fp),
            parts=tuple(parts),
            calibrated_points=used,
            db=str(store.path),
            notes=tuple(notes),
        )
    finally:
        store.close()


def _point(r: Row) -> dict[str, Any]:
    return {
        "test": r.test,
        "kind": r.kind,
        "config": {
            k: getattr(r.cfg, k)
            for k in (
                "n_prompt",
                "n_gen",
                "n_depth",
                "n_batch",
                "n_ubatch",
                "n_threads",
                "n_gpu_layers",
                "n_cpu_moe",
                "type_k",
                "type_v",
                "flash_attn",
            )
        },
        "status": r.status,
        "why": r.why,
        "measured_tokens_per_s": r.measured,
        "stddev_tokens_per_s": r.stddev,
        "predicted_tokens_per_s": r.predicted,
        "error": r.error,
        "comparable": r.comparable,
        "dominant": r.dominant,
        "ceiling_tokens_per_s": r.ceiling,
        "efficiency": r.efficiency,
        "peak_rss_bytes": r.peak_rss_bytes,
        "predicted_host_bytes": r.predicted_host_bytes,
    }


def to_dict(rep: Report) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "host": rep.host.to_dict() if rep.host else None,
        "calibrated_points": rep.calibrated_points,
        "accuracy": rep.accuracy(),
        "notes": list(rep.notes),
        "sweeps": [
            {
                "sweep_id": p.sweep_id,
                "created_at": p.created_at,
                "engine": p.engine,
                "model": p.model,
                "points": [_point(r) for r in p.rows],
            }
            for p in rep.parts
        ],
    }

"""What a report shows, read from the results store: one sweep's host, engine, model and points,
with measured vs predicted figures and the accuracy summary."""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Iterable
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
#   2 — points carry their prediction's 80 % interval, calibration, failure class, skip rule,
#       stderr tail and GPU peaks; the top level names the objective with the best
#       configuration for it and the Pareto set (pp vs tg vs memory) (issue 15).
#   3 — accuracy counts the comparable points whose prediction had an 80 % interval and how
#       many of them were measured inside it (issue 14).
SCHEMA_VERSION = 3

# The axes a sweep can vary, in the order tables and charts show them: (name, short header,
# label). "quant" comes from the sweep's model; the others are RunConfig fields.
AXES: tuple[tuple[str, str, str], ...] = (
    ("quant", "quant", "quant"),
    ("n_prompt", "prompt", "prompt tokens"),
    ("n_gen", "gen", "generated tokens"),
    ("n_depth", "depth", "context depth (tokens)"),
    ("n_ubatch", "ub", "ubatch"),
    ("n_batch", "b", "batch"),
    ("n_threads", "t", "threads"),
    ("n_gpu_layers", "ngl", "GPU layers"),
    ("n_cpu_moe", "cpu-moe", "n_cpu_moe"),
    ("flash_attn", "fa", "flash attention"),
    ("type_k", "K", "K cache type"),
    ("type_v", "V", "V cache type"),
    ("no_op_offload", "nopo", "no op offload"),
)
AXIS_HEADER = {a: h for a, h, _ in AXES}
AXIS_LABEL = {a: label for a, _, label in AXES}


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
    interval: tuple[float, float] | None = None  # the prediction's 80 % interval, tokens/s
    quant: str | None = None  # the sweep's model quant: an axis when sweeps are compared
    failure_class: str | None = None  # oom | timeout | crash | unsupported
    skip_rule: str | None = None
    stderr_tail: str | None = None
    returncode: int | None = None
    predicted_gpu_bytes: tuple[int, ...] = ()  # predicted total per GPU, in device order

    @property
    def ctx(self) -> int:
        """The context the point filled: depth + prompt + generated tokens."""
        return self.cfg.n_depth + self.cfg.n_prompt + self.cfg.n_gen

    def value(self, axis: str) -> Any:
        """The point's value on one of AXES."""
        return self.quant if axis == "quant" else getattr(self.cfg, axis)

    @property
    def reason(self) -> str:
        """Why a point failed or was skipped: the class or rule and the engine's last words."""
        if self.status == "skipped":
            return self.skip_rule or "skipped"
        last = next(
            (ln.strip() for ln in reversed((self.stderr_tail or "").splitlines()) if ln.strip()),
            None,
        )
        code = f"exit {self.returncode}" if self.returncode is not None else None
        detail = "; ".join(x for x in (code, last) if x)
        return f"{self.failure_class or 'failed'}" + (f" ({detail})" if detail else "")

    @property
    def peak_gpu_total_bytes(self) -> int | None:
        return sum(self.gpu_peaks.values()) if self.gpu_peaks else None

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
        """Median and worst |error| per metric over comparable measured points, and how many
        of those with an 80 % interval were measured inside it."""
        out: dict[str, dict[str, float | int | None]] = {}
        for kind in ("pp", "tg"):
            errs = [abs(r.error) for r in self.rows if r.kind == kind and r.error is not None]
            banded = [
                (r.interval, r.measured)
                for r in self.rows
                if r.kind == kind and r.error is not None and r.interval and r.measured
            ]
            out[kind] = {
                "with_interval": len(banded),
                "inside_interval": sum(1 for (lo, hi), m in banded if lo <= m <= hi),
                "points": len(errs),
                # Counted, never averaged in: a failed or skipped point has no error.
                "failed": sum(1 for r in self.rows if r.kind == kind and r.status == "failed"),
                "skipped": sum(1 for r in self.rows if r.kind == kind and r.status == "skipped"),
                "median_abs_error": statistics.median(errs) if errs else None,
                "worst_abs_error": max(errs) if errs else None,
            }
        return out


def varying(rows: Iterable[Row], axes: Iterable[str] | None = None) -> list[str]:
    """The axes (of AXES, in order) that take more than one value over ``rows``. The prompt
    length counts over pp rows only and the generated length over tg rows only: each kind
    sets the other's to 0."""
    rows = list(rows)
    names = [a for a, _, _ in AXES] if axes is None else list(axes)
    out = []
    for a in names:
        pick = [r for r in rows if {"n_prompt": "pp", "n_gen": "tg"}.get(a, r.kind) == r.kind]
        if len({r.value(a) for r in pick}) > 1:
            out.append(a)
    return out


def _row(p: StoredPoint, quant: str | None = None) -> Row:
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
        interval=getattr(speed, f"{kind}_interval_tokens_per_s", None) if speed else None,
        quant=quant,
        failure_class=m.failure_class,
        skip_rule=m.skip_rule,
        stderr_tail=m.stderr_tail,
        returncode=m.returncode,
        predicted_gpu_bytes=(tuple(p.prediction.memory_total_bytes[1:]) if p.prediction else ()),
    )


def wanted_sweeps(store: Store, sweeps: list[int] | None) -> list[int]:
    """The given sweep ids, or the latest one; each must be in ``store``."""
    ids = [s.id for s in store.sweeps()]
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
    return wanted


def load(db: Path | None, sweeps: list[int] | None = None) -> Report:
    """The latest sweep, or the given ones, from the store at ``db`` (default location), opened
    read-only: a report never writes, so it reads stores on read-only media too."""
    store = Store.open(db, readonly=True)
    try:
        wanted = wanted_sweeps(store, sweeps)
        parts = []
        hosts = set()
        for sid in wanted:
            meta = store.sweep(sid)
            assert meta is not None  # checked by wanted_sweeps
            hosts.add(meta.host_fingerprint)
            quant = meta.model.get("quant")
            point_rows = tuple(_row(p, quant) for p in store.points(sweep_id=sid))
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
        "config": r.cfg.to_dict(),
        "status": r.status,
        "why": r.why,
        "measured_tokens_per_s": r.measured,
        "stddev_tokens_per_s": r.stddev,
        "predicted_tokens_per_s": r.predicted,
        "predicted_interval_tokens_per_s": list(r.interval) if r.interval else None,
        "calibrated_points": r.calibrated_points,
        "error": r.error,
        "comparable": r.comparable,
        "dominant": r.dominant,
        "ceiling_tokens_per_s": r.ceiling,
        "efficiency": r.efficiency,
        "peak_rss_bytes": r.peak_rss_bytes,
        "predicted_host_bytes": r.predicted_host_bytes,
        "peak_gpu_bytes": r.gpu_peaks,
        "predicted_gpu_bytes": list(r.predicted_gpu_bytes),
        "failure_class": r.failure_class,
        "skip_rule": r.skip_rule,
        "returncode": r.returncode,
        "stderr_tail": r.stderr_tail,
    }


def to_dict(rep: Report, objective: str = "tg") -> dict[str, Any]:
    from report import _best

    top = _best.best(rep, objective)
    return {
        "schema_version": SCHEMA_VERSION,
        "host": rep.host.to_dict() if rep.host else None,
        "calibrated_points": rep.calibrated_points,
        "accuracy": rep.accuracy(),
        "notes": list(rep.notes),
        "objective": objective,
        "best": _best.to_dict(top) if top else None,
        "pareto": [_best.to_dict(c) for c in _best.pareto(rep)],
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

"""The fleet: several machines' sweeps in one store (merged from bundles), side by side.

Machines x models x tests (pp/tg at each depth), each cell the best measured tokens/s of that
test on that machine with its prediction and error; per machine its calibration, accuracy,
failures and peak memory; which machine to pick for a model (tg at the user's depth); and the
per-machine CI gate against baseline bundles.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.records import Calibration, SweepInfo
from bench.store import Store
from probe import HostProfile, human_bytes
from probe.errors import UserError
from report import Delta, Report, Row, _bundle, compare, load, regressions

# `report fleet --format json` schema history:
#   1 — first version (issue 16): depth, machines, cells, ranking.
#   2 — a machine's accuracy counts points with an 80 % interval and those inside it.
#   3 — a calibration's k_socket (a CPU's socket factor fitted apart from k_bw; null if not).
SCHEMA_VERSION = 3


@dataclass(frozen=True, slots=True)
class Machine:
    """One machine of the fleet: its runner label (or host fingerprint) and its sweeps."""

    key: str  # the runner label, else the host fingerprint
    label: str | None
    fingerprint: str
    host: HostProfile | None
    report: Report  # the sweeps shown: the latest of each model
    calibrations: dict[str, tuple[Calibration, str]]

    @property
    def hardware(self) -> str:
        h = self.host
        if h is None:
            return "unknown host"
        parts = [f"{g.name or g.vendor} {human_bytes(g.total_bytes)}" for g in h.gpus]
        if h.cpu and h.cpu.model:
            parts.append(h.cpu.model)
        if h.memory and h.memory.total_bytes:
            parts.append(f"{human_bytes(h.memory.total_bytes)} RAM")
        return ", ".join(parts) or h.os.machine

    @property
    def builds(self) -> str:
        seen = {
            str(p.engine.get("build_commit") or p.engine.get("version") or "?")
            for p in self.report.parts
        }
        return ", ".join(sorted(seen))

    def failures(self) -> list[Row]:
        return [r for r in self.report.rows if r.status == "failed"]

    def peak_rss_bytes(self) -> int | None:
        return max((r.peak_rss_bytes or 0 for r in self.report.rows), default=0) or None

    def peak_gpu_bytes(self) -> int | None:
        peaks = [sum(r.gpu_peaks.values()) for r in self.report.rows if r.gpu_peaks]
        return max(peaks) if peaks else None


@dataclass(frozen=True, slots=True)
class Cell:
    """One test (pp512@d4096) of one model on one machine: its best configuration."""

    machine: str
    model: str
    test: str
    kind: str
    depth: int
    status: str  # ok when any configuration was measured
    measured: float | None
    stddev: float | None
    predicted: float | None
    error: float | None
    configs: int  # configurations of this test swept


@dataclass(frozen=True, slots=True)
class Fleet:
    machines: tuple[Machine, ...]
    cells: tuple[Cell, ...]
    depth: int  # the depth the ranking is at
    db: str

    @property
    def models(self) -> list[str]:
        return list(dict.fromkeys(c.model for c in self.cells))

    def ranking(self, model: str) -> list[Cell]:
        """Machines for a model, fastest first, by tg at the depth nearest ``depth``."""
        best: dict[str, Cell] = {}
        for c in self.cells:
            if c.model != model or c.kind != "tg" or c.measured is None:
                continue
            old = best.get(c.machine)
            if old is None or (abs(c.depth - self.depth), -c.measured) < (
                abs(old.depth - self.depth),
                -(old.measured or 0),
            ):
                best[c.machine] = c
        return sorted(best.values(), key=lambda c: -(c.measured or 0))


def model_label(model: dict[str, object]) -> str:
    name = model.get("repo") or model.get("file") or "model"
    quant = model.get("quant")
    return f"{name}:{quant}" if model.get("repo") and quant else str(name)


def machine_key(fp: str, label: str | None) -> str:
    return label or fp


def select(store: Store, sweeps: list[int] | None = None) -> dict[str, list[SweepInfo]]:
    """Per machine (label, else fingerprint): the given sweeps, or the latest of each model."""
    infos = store.sweeps()
    if sweeps is not None:
        missing = sorted(set(sweeps) - {s.id for s in infos})
        if missing:
            raise UserError(
                f"no sweep {', '.join(map(str, missing))} in {store.path}",
                hint="list them with: report --format json, or leave out --sweep",
            )
        infos = [s for s in infos if s.id in sweeps]
    latest: dict[tuple[str, str], SweepInfo] = {}
    for s in infos:
        origin = store.sweep_origin(s.id)
        key = machine_key(s.host_fingerprint, origin.label if origin else None)
        latest[(key, model_label(s.model))] = s  # oldest first: the last one wins
    out: dict[str, list[SweepInfo]] = {}
    for (key, _), s in sorted(latest.items(), key=lambda kv: kv[1].id):
        out.setdefault(key, []).append(s)
    return out


def load_fleet(db: Path | None, sweeps: list[int] | None = None, depth: int = 0) -> Fleet:
    """The fleet in the store at ``db``: every machine's latest sweep of each model (or the
    sweeps given), as machines and cells.

    Raises:
        UserError: the store holds no sweeps, or not the ones asked for.
    """
    store = Store.open(db, readonly=True)
    try:
        chosen = select(store, sweeps)
        if not chosen:
            raise UserError(
                f"{store.path} holds no sweeps yet",
                hint="import the machines' bundles: report import *.rigbench.json",
            )
        meta = {}
        for key, infos in chosen.items():
            fp = infos[0].host_fingerprint
            origin = store.sweep_origin(infos[0].id)
            meta[key] = (fp, origin.label if origin else None, store.calibrations(fp))
        path = str(store.path)
    finally:
        store.close()
    machines = []
    for key, infos in chosen.items():
        fp, label, cals = meta[key]
        rep = load(db, [s.id for s in infos])
        machines.append(Machine(key, label, fp, rep.host, rep, cals))
    cells = [c for m in machines for c in _cells(m)]
    return Fleet(tuple(machines), tuple(cells), depth, path)


def _test_order(c: Cell) -> tuple[object, ...]:
    return (c.model, c.kind != "pp", c.depth, c.test)


def _cells(m: Machine) -> list[Cell]:
    out = []
    for part in m.report.parts:
        groups: dict[str, list[Row]] = {}
        for r in part.rows:
            groups.setdefault(r.test, []).append(r)
        for test, rows in groups.items():
            ok = [r for r in rows if r.measured]
            best = max(ok, key=lambda r: r.measured or 0) if ok else rows[0]
            out.append(
                Cell(
                    machine=m.key,
                    model=part.label,
                    test=test,
                    kind=best.kind,
                    depth=best.cfg.n_depth,
                    status="ok" if ok else best.status,
                    measured=best.measured if ok else None,
                    stddev=best.stddev if ok else None,
                    predicted=best.predicted,
                    error=best.error if ok else None,
                    configs=len(rows),
                )
            )
    return sorted(out, key=_test_order)


def to_dict(fleet: Fleet) -> dict[str, object]:
    """The fleet as JSON (``report fleet --format json``), schema-versioned."""
    return {
        "schema_version": SCHEMA_VERSION,
        "depth": fleet.depth,
        "machines": [
            {
                "machine": m.key,
                "label": m.label,
                "fingerprint": m.fingerprint,
                "hardware": m.hardware,
                "builds": m.builds,
                "sweeps": [p.sweep_id for p in m.report.parts],
                "calibrated_points": m.report.calibrated_points,
                "calibrations": {
                    b: {
                        "k_bw": c.k_bw,
                        "k_compute": c.k_compute,
                        "k_attn": c.k_attn,
                        "k_socket": c.k_socket,
                        "n_points": c.n_points,
                        "predictor_version": v,
                    }
                    for b, (c, v) in m.calibrations.items()
                },
                "accuracy": m.report.accuracy(),
                "failed": [{"test": r.test, "why": r.why} for r in m.failures()],
                "peak_rss_bytes": m.peak_rss_bytes(),
                "peak_gpu_bytes": m.peak_gpu_bytes(),
            }
            for m in fleet.machines
        ],
        "cells": [
            {
                "machine": c.machine,
                "model": c.model,
                "test": c.test,
                "kind": c.kind,
                "depth": c.depth,
                "status": c.status,
                "measured_tokens_per_s": c.measured,
                "stddev_tokens_per_s": c.stddev,
                "predicted_tokens_per_s": c.predicted,
                "error": c.error,
                "configs": c.configs,
            }
            for c in fleet.cells
        ],
        "ranking": {
            model: [
                {"machine": c.machine, "tg_tokens_per_s": c.measured, "depth": c.depth}
                for c in fleet.ranking(model)
            ]
            for model in fleet.models
        },
    }


# -- the gate --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GateResult:
    """One machine and model against its own baseline (``baseline`` None: it has none)."""

    machine: str
    model: str
    baseline: str | None
    deltas: tuple[Delta, ...]
    regressed: tuple[Delta, ...]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "machine"


def gate(db: Path | None, baselines: list[Path], max_regression: float) -> list[GateResult]:
    """Each machine of the store (its latest sweep of each model) against its own baseline:
    the bundle with its runner label, else with its host fingerprint. A machine or model with
    no baseline gets a result with ``baseline`` None (reported, not a failure), and so does
    every machine when the baseline directory is missing or empty: a repository that has not
    committed its first baselines yet still gets its report.

    Raises:
        UserError: a bundle that cannot be read.
    """
    files = _bundle.bundle_files(
        [p for p in baselines if p.exists() or p.name.endswith(_bundle.SUFFIX)]
    )
    if not files:
        fleet = load_fleet(db)
        return [
            GateResult(m.key, p.label, None, (), ()) for m in fleet.machines for p in m.report.parts
        ]
    with tempfile.TemporaryDirectory(prefix="rigbench-baseline-") as tmp:
        base_db = Path(tmp) / "baseline.db"
        by_machine = _load_baselines(base_db, files)
        cand = load_fleet(db)
        out = []
        for m in cand.machines:
            found = by_machine.get(("label", m.label or "")) or by_machine.get(
                ("fp", m.fingerprint)
            )
            for part in m.report.parts:
                model = part.label
                base = (found or {}).get(model)
                if base is None:
                    out.append(GateResult(m.key, model, None, (), ()))
                    continue
                source, sid = base
                deltas = compare(load(base_db, [sid]), load(db, [part.sweep_id]))
                bad = regressions(deltas, max_regression)
                out.append(GateResult(m.key, model, source, tuple(deltas), tuple(bad)))
    return out


def _load_baselines(
    base_db: Path, files: list[Path]
) -> dict[tuple[str, str], dict[str, tuple[str, int]]]:
    """Import the baseline bundles into a scratch store; per machine (by label and by
    fingerprint) and model: the bundle file and the latest sweep id."""
    store = Store.open(base_db)
    out: dict[tuple[str, str], dict[str, tuple[str, int]]] = {}
    try:
        for f in files:
            b = _bundle.read(f)
            done = _bundle.import_bundle(store, b)
            for sid in sorted(done.added + done.present):
                info = store.sweep(sid)
                assert info is not None  # just stored
                for key in (("label", b.label or ""), ("fp", b.fingerprint)):
                    if key != ("label", ""):
                        out.setdefault(key, {})[model_label(info.model)] = (f.name, sid)
    finally:
        store.close()
    return out


def update_baselines(db: Path | None, directory: Path) -> list[Path]:
    """Write one baseline bundle per machine of the store (its latest sweep of each model)
    into ``directory``: ``<label or fingerprint>.rigbench.json``, replacing older ones."""
    store = Store.open(db, readonly=True)
    try:
        chosen = select(store)
        if not chosen:
            raise UserError(f"{store.path} holds no sweeps yet", hint="import bundles first")
        bundles = {
            key: _bundle.export(store, [s.id for s in infos], None) for key, infos in chosen.items()
        }
    finally:
        store.close()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        out = []
        for key, data in bundles.items():
            path = directory / f"{_slug(key)}{_bundle.SUFFIX}"
            path.write_text(_bundle.dumps(data) + "\n", encoding="utf-8")
            out.append(path)
    except OSError as exc:
        raise UserError(
            f"cannot write baselines into {directory}: {exc.strerror or exc}",
            hint="choose a writable directory with --dir",
        ) from exc
    return out


def gate_lines(results: Iterable[GateResult], limit: float) -> list[str]:
    """One line per machine and model, then one per regressed cell."""
    lines = []
    for g in results:
        where = f"{g.machine} {g.model}"
        if g.baseline is None:
            lines.append(f"no baseline  {where}: not gated (add one: report baseline update)")
            continue
        state = "REGRESSION" if g.regressed else "ok"
        lines.append(
            f"{state:12s} {where}: {len(g.deltas)} points vs {g.baseline}, "
            f"{len(g.regressed)} slower by over {limit:.0%}"
        )
        for d in g.regressed:
            p = "n/a" if d.p_value is None else f"{d.p_value:.3g}"
            lines.append(f"  REGRESSION {g.machine} {d.test} {d.config}: {d.speedup:.3f}x (p {p})")
    return lines

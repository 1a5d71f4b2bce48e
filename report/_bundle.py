"""Results bundles: one machine's sweeps in one self-describing, schema-versioned JSON file
(``report export``), merged into any store (``report import``) without losing the machine's
identity, and kept in a repository as CI baselines (``report baseline update``).

A bundle holds the host profile and its fingerprint, the runner label it was exported with,
the calibration in force, and per sweep the model facts (repo, revision, files, sha256), the
engine (build, commit, backend), the sweep's arguments, and every point verbatim: its config,
prediction (with its predictor version) and measurement (raw samples, failure class, skip rule,
the engine's own record). Bundle files come from other machines: they are untrusted, read
with bounded sizes and every field's type checked, and a bad one is one line naming the field.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import types
import typing
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench.records import (
    PREDICTION_SCHEMA_VERSION,
    SPEED_PREDICTOR,
    SPEED_PREDICTOR_VERSION,
    STATUSES,
    Calibration,
    DeviceMemory,
    Measurement,
    Prediction,
    RunConfig,
    SpeedPrediction,
    StoredPoint,
    SweepInfo,
)
from bench.store import Store, SweepOrigin, now
from probe import HostProfile, host_profile_from_dict
from probe.errors import UserError
from report._data import wanted_sweeps

FORMAT = "rigbench-bundle"
SUFFIX = ".rigbench.json"

# Bundle schema history:
#   1 — one sweep per file (the first draft of issue 16): {"format", "schema_version": 1,
#       "created_at", "host": <HostProfile dict>, "sweep": {"id", "created_at", "status",
#       "args_key", "model", "model_spec", "engine", "args", "points": [{"key", "config",
#       "prediction", <Measurement fields, flat>}]}}; no label, no calibration.
#   2 — one machine, many sweeps: {"format", "schema_version": 2, "created_at",
#       "rigbench_version", "predictor": {"name", "version"}, "label", "host": {"fingerprint",
#       "profile"}, "calibrations": [{"backend", "predictor_version", <Calibration fields>}],
#       "sweeps": [{"source_id", "created_at", "status", "args_key", "model", "model_spec",
#       "engine", "args", "points": [{"key", "created_at", "config", "prediction",
#       "measurement"}]}]}.
SCHEMA_VERSION = 2

# Bounds on an untrusted file: a 10,000-point sweep with llama-bench's records is ~30 MB.
MAX_BYTES = 256 * 2**20
MAX_SWEEPS = 1_000
MAX_POINTS = 10_000  # per sweep, as bench.records.MAX_POINTS bounds a sweep's expansion
MAX_SAMPLES = 10_000  # per point (llama-bench -r)
MAX_TEXT = 64 * 2**10  # any one string (a stderr tail is a few KiB)
LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._,:/+@=()-]{0,99}")
TIME = re.compile(r"\d{4}-\d\d-\d\d[T ][0-9:.]+(Z|[+-]\d\d:?\d\d)?")


@dataclass(frozen=True, slots=True)
class SweepRecord:
    """One sweep of a bundle: what the store's SweepInfo says, its origin, its points."""

    info: SweepInfo
    origin: SweepOrigin
    points: tuple[StoredPoint, ...]


@dataclass(frozen=True, slots=True)
class Bundle:
    """A bundle as read: one machine's sweeps."""

    source: str  # the file, for messages
    host: HostProfile
    fingerprint: str
    label: str | None
    calibrations: tuple[tuple[str, Calibration, str], ...]  # backend, fit, predictor version
    sweeps: tuple[SweepRecord, ...]

    @property
    def machine(self) -> str:
        """The machine's name in reports: its runner label, else its host fingerprint."""
        return self.label or self.fingerprint


class _Bad(ValueError):
    def __init__(self, where: str, why: str) -> None:
        super().__init__(f"{where} {why}")


# -- export ----------------------------------------------------------------------------------


def check_label(label: str | None) -> str | None:
    if label is not None and not LABEL.fullmatch(label):
        raise UserError(
            f"runner label {label[:120]!r} is not usable",
            hint="use up to 100 letters, digits and . _ , : / + @ = ( ) - (e.g. gpu-cuda)",
        )
    return label


def export(store: Store, sweep_ids: list[int] | None, label: str | None = None) -> dict[str, Any]:
    """The bundle of the given sweeps (default: the latest), all of one machine.

    Raises:
        UserError: no such sweep, sweeps of several machines, or an unusable label.
    """
    check_label(label)
    ids = wanted_sweeps(store, sweep_ids)
    infos = [s for i in ids if (s := store.sweep(i)) is not None]
    fps = sorted({s.host_fingerprint for s in infos})
    if len(fps) > 1:
        raise UserError(
            f"sweeps {', '.join(map(str, ids))} come from {len(fps)} machines; a bundle holds one",
            hint="export each machine's sweeps on their own: report export --sweep ID -o FILE",
        )
    host = store.host_profile(fps[0])
    if host is None:
        raise UserError(f"{store.path} has no host profile for sweep {ids[0]}", hint="re-run it")
    origins = [store.sweep_origin(s.id) or SweepOrigin("") for s in infos]
    stored = {o.label for o in origins if o.label}
    label = label or (stored.pop() if len(stored) == 1 else None)
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "created_at": now(),
        "rigbench_version": _version(),
        "predictor": {"name": SPEED_PREDICTOR, "version": SPEED_PREDICTOR_VERSION},
        "label": label,
        "host": {"fingerprint": fps[0], "profile": host.to_dict()},
        "calibrations": [
            {"backend": b, "predictor_version": v, **dataclasses.asdict(c)}
            for b, (c, v) in sorted(store.calibrations(fps[0]).items())
        ],
        "sweeps": [_sweep_dict(store, s, o) for s, o in zip(infos, origins, strict=True)],
    }


def _sweep_dict(store: Store, s: SweepInfo, origin: SweepOrigin) -> dict[str, Any]:
    return {
        "source_id": s.id,
        "created_at": s.created_at,
        "status": s.status,
        "args_key": origin.args_key,
        "model": s.model,
        "model_spec": s.model_spec,
        "engine": s.engine,
        "args": s.args,
        "points": [
            {
                "key": p.key,
                "created_at": p.created_at,
                "config": p.config.to_dict(),
                "prediction": p.prediction.to_dict() if p.prediction else None,
                "measurement": dataclasses.asdict(p.measurement),
            }
            for p in store.points(sweep_id=s.id)
        ],
    }


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rigbench")
    except PackageNotFoundError:
        return "unknown"


def dumps(bundle: dict[str, Any]) -> str:
    """The file's text: compact JSON (``format`` and ``schema_version`` first, for sniffing)."""
    return json.dumps(bundle, separators=(",", ":"), allow_nan=False)


# -- reading ---------------------------------------------------------------------------------


def is_bundle(path: Path) -> bool:
    """Whether a file is a bundle (by content): a JSON object whose first key says so."""
    try:
        with path.open("rb") as f:
            head = f.read(256)
    except OSError:
        return False
    return head.lstrip().startswith(b"{") and FORMAT.encode() in head


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read(path: Path) -> Bundle:
    """Read, upgrade and check a bundle file.

    Raises:
        UserError: (one line) the file is too big, not UTF-8 JSON, from a newer rigbench, or a
            field is missing or has the wrong type (named: ``sweeps[0].points[3].config...``).
    """
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _Bad("the file", f"is {size / 2**20:.0f} MiB, over {MAX_BYTES // 2**20} MiB")
        with path.open("rb") as f:
            raw = f.read(MAX_BYTES + 1)
        data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except OSError as exc:
        raise UserError(
            f"cannot read {path}: {exc.strerror or exc}", hint="check the path"
        ) from exc
    except UnicodeDecodeError as exc:
        raise _user(path, _Bad("the file", f"is not UTF-8 (offset {exc.start})")) from exc
    except RecursionError as exc:
        raise _user(path, _Bad("the file", "nests JSON too deeply")) from exc
    except json.JSONDecodeError as exc:
        raise _user(path, _Bad(f"line {exc.lineno}", f"is not JSON: {exc.msg}")) from exc
    except _Bad as exc:
        raise _user(path, exc) from exc
    except ValueError as exc:  # NaN / Infinity
        raise _user(path, _Bad("a number", str(exc))) from exc
    try:
        return _bundle(str(path), _upgrade(data, path))
    except _Bad as exc:
        raise _user(path, exc) from exc


def _user(path: Path, exc: _Bad) -> UserError:
    return UserError(
        f"{path}: not a usable rigbench bundle: {exc}",
        hint="make bundles with: report export -o run.rigbench.json",
    )


def _upgrade(data: Any, path: Path) -> dict[str, Any]:
    """Refuse a newer schema; bring an older one up to SCHEMA_VERSION one step at a time."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _Bad("the file", f'is JSON but not a bundle (no "format": "{FORMAT}")')
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _Bad("schema_version", "must be a whole number from 1")
    if version > SCHEMA_VERSION:
        raise UserError(
            f"{path} is a bundle of schema {version}; this rigbench reads up to {SCHEMA_VERSION}",
            hint="upgrade rigbench where you import: pip install -U rigbench",
        )
    if version == 1:
        data = _upgrade_1(data)
    return data


def _upgrade_1(data: dict[str, Any]) -> dict[str, Any]:
    """1 -> 2: the one sweep becomes a list; the flat measurement fields of a point move under
    "measurement"; the host gains its fingerprint (computed on import); no label, no
    calibration."""
    sweep = _obj(data.get("sweep"), "sweep")
    names = {f.name for f in dataclasses.fields(Measurement)}
    points = []
    for i, p in enumerate(_list(sweep.get("points"), "sweep.points", MAX_POINTS)):
        p = _obj(p, f"sweep.points[{i}]")
        keep = ("key", "config", "prediction")
        points.append(
            {k: p.get(k) for k in keep}
            | {"created_at": p.get("created_at", sweep.get("created_at"))}
            | {"measurement": {k: v for k, v in p.items() if k in names}}
        )
    moved = {k: v for k, v in sweep.items() if k not in ("id", "points")}
    return {
        "format": FORMAT,
        "schema_version": 2,
        "created_at": data.get("created_at"),
        "label": None,
        "host": {"profile": data.get("host")},
        "calibrations": [],
        "sweeps": [moved | {"source_id": sweep.get("id"), "points": points}],
    }


def _bundle(source: str, data: dict[str, Any]) -> Bundle:
    from bench.store import fingerprint

    label = data.get("label")
    if label is not None and (not isinstance(label, str) or not LABEL.fullmatch(label)):
        raise _Bad("label", "must be a runner label (letters, digits, . _ , : / + @ = ( ) -)")
    host_data = _obj(_obj(data.get("host"), "host").get("profile"), "host.profile")
    try:
        host = host_profile_from_dict(host_data, source="host.profile")
    except UserError as exc:
        raise _Bad("host.profile", f"is not usable: {exc.message}") from exc
    fp = fingerprint(host)
    cals = []
    for i, c in enumerate(_list(data.get("calibrations", []), "calibrations", 100)):
        c = _obj(c, f"calibrations[{i}]")
        cal = _typed(Calibration, c, f"calibrations[{i}]")
        backend = _str(c.get("backend"), f"calibrations[{i}].backend")
        cals.append((backend, cal, _str(c.get("predictor_version"), f"calibrations[{i}].version")))
    sweeps = tuple(
        _sweep(_obj(s, f"sweeps[{i}]"), fp, label, f"sweeps[{i}]")
        for i, s in enumerate(_list(data.get("sweeps"), "sweeps", MAX_SWEEPS))
    )
    return Bundle(source, host, fp, label, tuple(cals), sweeps)


def _sweep(s: dict[str, Any], fp: str, label: str | None, where: str) -> SweepRecord:
    created = _time(s.get("created_at"), f"{where}.created_at")
    spec = s.get("model_spec")
    info = SweepInfo(
        id=0,
        created_at=created,
        host_fingerprint=fp,
        model=_obj(s.get("model"), f"{where}.model"),
        model_spec=None if spec is None else _obj(spec, f"{where}.model_spec"),
        engine=_obj(s.get("engine"), f"{where}.engine"),
        args=_obj(s.get("args", {}), f"{where}.args"),
        status=_str(s.get("status") or "imported", f"{where}.status"),
    )
    origin = SweepOrigin(_str(s.get("args_key"), f"{where}.args_key"), label)
    points, keys = [], set()
    for i, p in enumerate(_list(s.get("points"), f"{where}.points", MAX_POINTS)):
        point = _point(_obj(p, f"{where}.points[{i}]"), fp, f"{where}.points[{i}]")
        if point.key in keys:
            raise _Bad(f"{where}.points[{i}].key", f"{point.key[:40]!r} appears twice")
        keys.add(point.key)
        points.append(point)
    return SweepRecord(info, origin, tuple(points))


def _point(p: dict[str, Any], fp: str, where: str) -> StoredPoint:
    m = _obj(p.get("measurement"), f"{where}.measurement")
    status = m.get("status")
    if status not in STATUSES:
        raise _Bad(f"{where}.measurement.status", f"must be one of {', '.join(STATUSES)}")
    samples = _list(m.get("samples_ns", []), f"{where}.measurement.samples_ns", MAX_SAMPLES)
    m = m | {"samples_ns": samples}
    pred = p.get("prediction")
    return StoredPoint(
        id=0,
        sweep_id=0,
        key=_str(p.get("key"), f"{where}.key"),
        created_at=_time(p.get("created_at"), f"{where}.created_at"),
        host_fingerprint=fp,
        config=_typed(RunConfig, _obj(p.get("config"), f"{where}.config"), f"{where}.config"),
        prediction=None if pred is None else _prediction(pred, f"{where}.prediction"),
        measurement=_typed(Measurement, m, f"{where}.measurement"),
    )


def _prediction(data: Any, where: str) -> Prediction:
    data = _obj(data, where)
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or not 1 <= version <= PREDICTION_SCHEMA_VERSION:
        raise _Bad(f"{where}.schema_version", f"must be 1 to {PREDICTION_SCHEMA_VERSION}")
    speed = data.get("speed")
    memory = tuple(
        _typed(DeviceMemory, _obj(d, f"{where}.memory[{i}]"), f"{where}.memory[{i}]")
        for i, d in enumerate(_list(data.get("memory", []), f"{where}.memory", 64))
    )
    totals = _convert(tuple[int, ...], data.get("memory_total_bytes", []), f"{where}.totals")
    speed_pred = None if speed is None else _typed(SpeedPrediction, speed, f"{where}.speed")
    return Prediction(speed_pred, memory, totals)


# -- type checks -----------------------------------------------------------------------------


def _what(v: Any) -> str:
    if isinstance(v, bool):
        return "true/false"
    if v is None:
        return "null"
    if isinstance(v, int | float):
        return f"the number {v!r}"
    if isinstance(v, str):
        return f"the string {v[:40]!r}"
    return "an object" if isinstance(v, dict) else "a list"


def _obj(v: Any, where: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _Bad(where, f"must be an object, not {_what(v)}")
    return v


def _list(v: Any, where: str, most: int) -> list[Any]:
    if not isinstance(v, list):
        raise _Bad(where, f"must be a list, not {_what(v)}")
    if len(v) > most:
        raise _Bad(where, f"has {len(v):,} entries, over the {most:,} a bundle may hold")
    return v


def _str(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise _Bad(where, f"must be a string, not {_what(v)}")
    if len(v) > MAX_TEXT:
        raise _Bad(where, f"is {len(v):,} characters long, over {MAX_TEXT:,}")
    return v


def _time(v: Any, where: str) -> str:
    if not isinstance(v, str) or len(v) > 40 or not TIME.fullmatch(v):
        raise _Bad(where, f"must be an ISO 8601 time, not {_what(v)}")
    return v


_HINTS: dict[type, dict[str, Any]] = {}


def _typed(cls: type, data: dict[str, Any], where: str) -> Any:
    """A record dataclass from its ``asdict`` form: unknown keys ignored, every known one
    checked against its field's type, missing ones defaulted or (when required) refused."""
    data = _obj(data, where)
    hints = _HINTS.get(cls) or _HINTS.setdefault(cls, typing.get_type_hints(cls))
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise _Bad(f"{where}.{f.name}", "is missing")
            continue
        kwargs[f.name] = _convert(hints[f.name], data[f.name], f"{where}.{f.name}")
    try:
        return cls(**kwargs)
    except ValueError as exc:  # a record's own check (Measurement.status)
        raise _Bad(where, str(exc)) from exc


def _convert(hint: Any, v: Any, where: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if v is None and type(None) in args:
            return None
        return _convert(next(a for a in args if a is not type(None)), v, where)
    if hint is Any:
        return v
    if origin is tuple:
        items = _list(v, where, MAX_SAMPLES)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], x, f"{where}[{i}]") for i, x in enumerate(items))
        if len(items) != len(args):
            raise _Bad(where, f"must hold {len(args)} values")
        return tuple(
            _convert(a, x, f"{where}[{i}]")
            for i, (a, x) in enumerate(zip(args, items, strict=True))
        )
    if origin is dict:
        d = _obj(v, where)
        return {_str(k, where): _convert(args[1], x, f"{where}.{k}") for k, x in d.items()}
    if hint is bool:
        if not isinstance(v, bool):
            raise _Bad(where, f"must be true or false, not {_what(v)}")
        return v
    if hint is int:
        if isinstance(v, float) and v.is_integer() and abs(v) < 2**63:
            return int(v)
        if not isinstance(v, int) or isinstance(v, bool) or abs(v) >= 2**63:
            raise _Bad(where, f"must be a whole number, not {_what(v)}")
        return v
    if hint is float:
        if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
            raise _Bad(where, f"must be a number, not {_what(v)}")
        return float(v)
    if hint is str:
        return _str(v, where)
    raise TypeError(f"bundle field {where}: unhandled type {hint!r}")  # a bug: new record type


# -- import ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Imported:
    """What one bundle's import did: new sweep ids, sweeps already there, points added."""

    source: str
    machine: str
    added: tuple[int, ...]
    present: tuple[int, ...]
    points: int


def import_bundle(store: Store, bundle: Bundle) -> Imported:
    """Merge a bundle into a store, idempotently: a sweep already there (same host, args key
    and start) is left as it is; the host's profile and calibrations are added only where the
    store has none (a machine's own fit is never replaced)."""
    fp = bundle.fingerprint
    if store.host_profile(fp) is None:
        store.add_host(bundle.host)
    for backend, cal, version in bundle.calibrations:
        store.save_calibration(fp, backend, cal, version, replace=False)
    added, present, points = [], [], 0
    for s in bundle.sweeps:
        there = store.find_sweep(fp, s.origin.args_key, s.info.created_at)
        if there is not None:
            present.append(there)
            continue
        added.append(store.insert_sweep(replace(s.info, host_fingerprint=fp), s.origin, s.points))
        points += len(s.points)
    return Imported(bundle.source, bundle.machine, tuple(added), tuple(present), points)


def bundle_files(paths: list[Path]) -> list[Path]:
    """The bundle files given: files as they are, directories' ``*.rigbench.json`` files."""
    out: list[Path] = []
    for p in paths:
        out += sorted(p.glob(f"*{SUFFIX}")) if p.is_dir() else [p]
    return out

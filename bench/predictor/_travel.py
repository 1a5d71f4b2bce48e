"""A calibration that travels: ``bench calibrate --export FILE`` on the machine that measured,
``--import FILE`` on an identical one that has not (a fleet's second H100 node, a new runner).

The file is JSON: ``format``, ``schema_version``, what the factors were learned on (backend,
GPU names, host fingerprint), the predictor version they were fitted for, and the factors.
"""

from __future__ import annotations

import math
from typing import Any

from bench.predictor._calibrate import load_calibrations
from bench.predictor._speed import PREDICTOR_VERSION, choose_backend
from bench.records import Calibration
from bench.store import Store
from probe import HostProfile
from probe.errors import UserError

FORMAT = "rigbench-calibration"
# Calibration file schema history:
#   1 — first version (rigbench 0.1): one backend's factors, its GPUs and host fingerprint.
#   2 — k_socket: a CPU's socket bandwidth factor fitted apart from its threads' (null, and
#       absent from a schema-1 file: k_bw scales both caps).
SCHEMA_VERSION = 2


def gpu_names(host: HostProfile) -> list[str]:
    """The host's GPU models, one per GPU, sorted ("" for a GPU whose name is unknown)."""
    return sorted(g.name or "" for g in host.gpus)


def export_calibration(
    store: Store, host: HostProfile, fp: str, backend: str | None
) -> dict[str, Any]:
    """The calibration file of this host's stored calibration for ``backend`` (the only one
    stored when None).

    Raises:
        UserError: no calibration for this predictor version, or several and no backend.
    """
    stored = load_calibrations(store, fp)
    if backend is None and len(stored) > 1:
        raise UserError(
            f"this machine has calibrations for {', '.join(sorted(stored))}",
            hint="choose one: bench calibrate --backend NAME --export FILE",
        )
    name = backend or next(iter(stored), "")
    if name not in stored:
        raise UserError(
            f"no calibration of this machine{f' for {backend}' if backend else ''} "
            f"fitted by predictor {PREDICTOR_VERSION}",
            hint="fit one first: bench calibrate",
        )
    cal = stored[name]
    return {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "backend": name,
        "gpus": gpu_names(host),
        "host_fingerprint": fp,
        "predictor_version": PREDICTOR_VERSION,
        "k_bw": cal.k_bw,
        "k_compute": cal.k_compute,
        "k_attn": cal.k_attn,
        "n_points": cal.n_points,
        "residual_sd": cal.residual_sd,
        "k_socket": cal.k_socket,
    }


def read_calibration(data: Any) -> tuple[str, list[str], str, Calibration]:
    """Backend, GPU names, predictor version and factors of a calibration file's JSON.

    Raises:
        UserError: not a calibration file, a newer schema, or a field missing or of the wrong
            type (named).
    """
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise UserError(
            "not a rigbench calibration file",
            hint="write one with: bench calibrate --export FILE",
        )
    version = _field(data, "schema_version", int)
    if version > SCHEMA_VERSION:
        raise UserError(
            f"calibration file schema {version} is newer than this rigbench reads "
            f"({SCHEMA_VERSION})",
            hint="upgrade rigbench: pip install -U rigbench",
        )
    gpus = _field(data, "gpus", list)
    if not all(isinstance(g, str) for g in gpus):
        raise UserError("calibration file: field 'gpus' must be a list of strings")
    factors = [_field(data, k, float) for k in ("k_bw", "k_compute", "k_attn")]
    if not all(math.isfinite(k) and k > 0 for k in factors):
        raise UserError("calibration file: the factors k_* must be positive numbers")
    sd = None if data.get("residual_sd") is None else _field(data, "residual_sd", float)
    k_socket = None if data.get("k_socket") is None else _field(data, "k_socket", float)
    if k_socket is not None and not (math.isfinite(k_socket) and k_socket > 0):
        raise UserError("calibration file: k_socket must be a positive number or null")
    k_bw, k_compute, k_attn = factors
    cal = Calibration(
        k_bw,
        k_compute,
        k_attn,
        n_points=_field(data, "n_points", int),
        residual_sd=sd,
        k_socket=k_socket,
    )
    return _field(data, "backend", str), gpus, _field(data, "predictor_version", str), cal


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    """``data[name]`` if it is a ``kind`` (an int counts as a float, a bool as neither)."""
    value = data.get(name)
    ok = isinstance(value, kind) and not isinstance(value, bool)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value, ok = float(value), True
    if not ok:
        raise UserError(
            f"calibration file: field {name!r} is "
            f"{'missing' if value is None else type(value).__name__}, not {kind.__name__}",
            hint="export it again: bench calibrate --export FILE",
        )
    return value


def import_calibration(
    store: Store, host: HostProfile, fp: str, data: Any, force: bool = False
) -> tuple[str, Calibration]:
    """Store a calibration file's factors as this host's (``fp``) for its backend.

    Args:
        force: accept factors learned on a different GPU model.

    Raises:
        UserError: what :func:`read_calibration` refuses; another predictor version; a backend
            this host does not run; another GPU model than this host's (without ``force``).
    """
    backend, gpus, version, cal = read_calibration(data)
    if version != PREDICTOR_VERSION:
        raise UserError(
            f"calibration fitted by predictor {version}; this rigbench predicts with "
            f"{PREDICTOR_VERSION}",
            hint="fit it again here from this machine's sweeps: bench calibrate",
        )
    runs = {*host.backends, choose_backend(host)}
    if backend not in runs:
        raise UserError(
            f"calibration is for the {backend} backend; this machine runs "
            f"{', '.join(sorted(runs))}",
            hint="export the calibration of a matching backend: bench calibrate --backend NAME",
        )
    here = gpu_names(host)
    if gpus != here and not force:
        raise UserError(
            f"calibration learned on {', '.join(gpus) or 'no GPU'}; this machine has "
            f"{', '.join(here) or 'no GPU'}",
            hint="add --force to use it anyway (the factors are per GPU model)",
        )
    store.save_calibration(fp, backend, cal, version)
    return backend, cal

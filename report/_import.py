"""`report import`: llama-bench results produced elsewhere (JSON, JSONL, CSV, or its SQLite
table) into the results store, with a prediction computed for every point."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sqlite3
from pathlib import Path
from typing import Any

from bench import Measurement, ModelSpec, Prediction, RunConfig, Store
from bench.model import load_local, spec_for_params, spec_from_synth
from bench.predictor import predict_speed
from bench.store import read_llama_bench_sql
from probe import HostProfile
from probe.errors import UserError

_TYPE_TO_QUANT = {
    "Q4_K - Medium": "Q4_K_M",
    "Q4_K - Small": "Q4_K_S",
    "Q5_K - Medium": "Q5_K_M",
    "Q5_K - Small": "Q5_K_S",
    "Q3_K - Medium": "Q3_K_M",
    "Q6_K": "Q6_K",
    "Q8_0": "Q8_0",
    "Q4_0": "Q4_0",
    "F16": "F16",
    "BF16": "BF16",
    "IQ4_XS - 4.25 bpw": "IQ4_XS",
    "Q2_K - Medium": "Q2_K",
    "MXFP4 MoE": "MXFP4",
}


def _bad(path: Path, where: str, why: str) -> UserError:
    return UserError(
        f"{path}: cannot import {where}: {why}",
        hint="give llama-bench output made with -o json, -o jsonl, -o csv or -o sql",
    )


def _table_rows(source: Path | str, path: Path) -> list[dict[str, Any]]:
    """llama-bench's SQL table from a SQLite file or an ``-o sql`` dump."""
    try:
        rows = read_llama_bench_sql(source)
    except sqlite3.DatabaseError as exc:
        raise _bad(path, "its SQL", str(exc)) from exc
    if rows is None:
        raise _bad(path, "its tables", "no llama_bench (or test) table")
    return rows


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records from any llama-bench output format, every number field checked; the first bad
    one is an error that names where it is in the file (``line 3``, ``record 2``, ``row 5``)."""
    raw = path.read_bytes()
    if raw.startswith(b"SQLite format 3"):
        return _checked(path, [(f"row {n}", r) for n, r in enumerate(_table_rows(path, path), 1)])
    text = raw.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _bad(path, f"line {exc.lineno}", exc.msg) from exc
        return _checked(path, [(f"record {n}", d) for n, d in enumerate(data, 1)])
    if stripped.startswith("{"):
        out: list[tuple[str, Any]] = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                raise _bad(path, f"line {n}", exc.msg) from exc
            out.append((f"line {n}", rec))
        return _checked(path, out)
    if stripped.startswith("CREATE TABLE") or stripped.startswith("INSERT"):
        return _checked(path, [(f"row {n}", r) for n, r in enumerate(_table_rows(text, path), 1)])
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "avg_ts" not in reader.fieldnames:
        raise _bad(path, "line 1", "not JSON, JSONL, CSV with an avg_ts column, nor SQL")
    rows: list[tuple[str, Any]] = []
    for n, row in enumerate(reader, 2):
        if None in row or any(v is None for v in row.values()):
            raise _bad(path, f"line {n}", "wrong number of columns")
        rows.append((f"line {n}", dict(row)))
    return _checked(path, rows)


# llama-bench's number fields (tools/llama-bench/llama-bench.cpp, test::get_fields): JSON
# writes them as numbers, CSV and SQL as text; either way they must read as numbers.
_NUMBER_FIELDS = (
    "n_prompt",
    "n_gen",
    "n_depth",
    "n_batch",
    "n_ubatch",
    "n_threads",
    "n_gpu_layers",
    "n_cpu_moe",
    "model_size",
    "model_n_params",
    "avg_ns",
    "stddev_ns",
    "avg_ts",
    "stddev_ts",
)


def _checked(path: Path, recs: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    """Every record an object and every number field a number (or absent or empty), so that a
    bad record stops the import, naming its place and field, before anything is stored."""
    for where, rec in recs:
        if not isinstance(rec, dict):
            raise _bad(path, where, f"a record must be a JSON object, not {_what(rec)}")
        for key in _NUMBER_FIELDS:
            value = rec.get(key)
            if value not in (None, "") and _number(value) is None:
                raise _bad(path, where, f"{key} must be a number, not {_what(value)}")
        samples = rec.get("samples_ns")
        if isinstance(samples, list):
            bad = [x for x in samples if _number(x) is None]
            if bad:
                raise _bad(path, where, f"samples_ns must hold numbers, not {_what(bad[0])}")
        elif samples is not None and not isinstance(samples, str):
            raise _bad(path, where, f"samples_ns must be a list of numbers, not {_what(samples)}")
    return [rec for _, rec in recs]


def _number(v: Any) -> float | None:
    """A finite number from JSON (int, float) or CSV/SQL text; None for anything else."""
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        return None
    try:
        x = float(v)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _what(v: Any) -> str:
    if isinstance(v, str):
        return repr(v[:40])
    if isinstance(v, dict):
        return "an object"
    if isinstance(v, list):
        return "a list"
    return json.dumps(v)


def _int(v: Any, default: int = 0) -> int:
    """A number field ``_checked`` let through: absent or empty is ``default``."""
    x = _number(v)
    return default if x is None else int(x)


def _cfg(rec: dict[str, Any]) -> RunConfig:
    ngl = _int(rec.get("n_gpu_layers"), 99)
    return RunConfig(
        n_prompt=_int(rec.get("n_prompt")),
        n_gen=_int(rec.get("n_gen")),
        n_depth=_int(rec.get("n_depth")),
        n_batch=_int(rec.get("n_batch"), 2048),
        n_ubatch=_int(rec.get("n_ubatch"), 512),
        n_threads=_int(rec.get("n_threads"), 1),
        n_gpu_layers=-1 if ngl >= 99 else ngl,
        n_cpu_moe=_int(rec.get("n_cpu_moe")),
        type_k=str(rec.get("type_k") or "f16"),
        type_v=str(rec.get("type_v") or "f16"),
        flash_attn=str(rec.get("flash_attn", "0")).lower() in ("1", "true", "-1"),
    )


def spec_for_record(rec: dict[str, Any]) -> tuple[ModelSpec, str]:
    """The model's spec: its file if it is here, else a llama shape of the same size."""
    path = Path(str(rec.get("model_filename") or ""))
    if path.suffix == ".gguf" and path.exists():
        return load_local(path), "file"
    mtype = str(rec.get("model_type") or "")
    quant = next((q for k, q in _TYPE_TO_QUANT.items() if mtype.endswith(k)), "Q4_K_M")
    n = _int(rec.get("model_n_params")) or 7_000_000_000
    arch = mtype.split()[0] if mtype else "llama"
    spec = spec_for_params(n, arch="qwen3moe" if "moe" in arch else "llama", quant=quant)
    return spec_from_synth(spec), f"approximated: a llama shape of {n / 1e9:.1f}B at {quant}"


def import_records(store: Store, host: HostProfile, path: Path) -> tuple[int, int, str]:
    """Store the records as one sweep; returns (sweep id, points, how the model was known)."""
    recs = read_records(path)
    if not recs:
        raise UserError(f"{path}: no llama-bench records in it", hint="check the file")
    spec, how = spec_for_record(recs[0])
    fp = store.add_host(host)
    first = recs[0]
    model = {
        "file": Path(str(first.get("model_filename", path.name))).name,
        "model_type": first.get("model_type"),
        "size_bytes": _int(first.get("model_size")),
        "imported_from": str(path),
        "spec": how,
    }
    engine = {
        "kind": "llama-bench",
        "version": f"b{first.get('build_number', '?')}",
        "build_commit": first.get("build_commit"),
        "backend": first.get("backends"),
    }
    sid = store.start_sweep(
        fp,
        model,
        json.dumps(spec.to_dict()),
        engine,
        {"import": str(path)},
        f"import:{path}:{len(recs)}",
    )
    for i, rec in enumerate(recs):
        cfg = _cfg(rec)
        pred = predict_speed(spec, host, cfg)
        samples = rec.get("samples_ns")
        if isinstance(samples, str):
            samples = [int(x) for x in re.findall(r"\d+", samples)]
        m = Measurement(
            "ok",
            avg_ts=_number(rec.get("avg_ts")) or 0.0,
            stddev_ts=_number(rec.get("stddev_ts")) or 0.0,
            samples_ns=tuple(int(float(x)) for x in samples or []),
            engine_record=rec,
        )
        store.add_point(sid, f"import-{i}", cfg, Prediction(pred), m)
    store.finish_sweep(sid, "imported")
    return sid, len(recs), how

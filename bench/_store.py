"""The results store: one SQLite file, schema-versioned, written one point per transaction.

Readers reject a newer schema and upgrade an older one step by step. A ``llama_bench`` view
exposes llama-bench's SQL column names so llama.cpp's own compare-llama-bench.py can read it.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from probe import HostProfile
from probe.errors import UserError

# Store schema history:
#   1 — first version (rigbench 0.1): hosts, sweeps, points, calibrations, llama_bench view.
SCHEMA_VERSION = 1
BUSY_TIMEOUT_S = 30  # a second writer waits this long for the first one's transaction

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hosts (
    fingerprint TEXT PRIMARY KEY, profile_json TEXT NOT NULL, first_seen TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, host_fingerprint TEXT NOT NULL,
    model_json TEXT NOT NULL, model_spec_json TEXT, engine_json TEXT NOT NULL,
    args_json TEXT NOT NULL, args_key TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'running',
    finished_at TEXT);
CREATE TABLE IF NOT EXISTS points (
    id INTEGER PRIMARY KEY, sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
    point_key TEXT NOT NULL, created_at TEXT NOT NULL,
    config_json TEXT NOT NULL, prediction_json TEXT, status TEXT NOT NULL,
    failure_class TEXT, skip_rule TEXT,
    n_prompt INTEGER, n_gen INTEGER, n_depth INTEGER,
    avg_ts REAL, stddev_ts REAL, samples_ns_json TEXT,
    peak_rss_bytes INTEGER, peak_gpu_bytes_json TEXT, load_s REAL,
    engine_record_json TEXT, returncode INTEGER, stderr_tail TEXT,
    UNIQUE (sweep_id, point_key));
CREATE TABLE IF NOT EXISTS calibrations (
    host_fingerprint TEXT NOT NULL, backend TEXT NOT NULL, k_bw REAL NOT NULL,
    k_compute REAL NOT NULL, k_attn REAL NOT NULL, n_points INTEGER NOT NULL,
    residual_sd REAL, fitted_at TEXT NOT NULL,
    predictor_version TEXT NOT NULL, PRIMARY KEY (host_fingerprint, backend));
CREATE VIEW IF NOT EXISTS llama_bench AS
SELECT
    json_extract(p.engine_record_json, '$.build_commit') AS build_commit,
    json_extract(p.engine_record_json, '$.build_number') AS build_number,
    json_extract(p.engine_record_json, '$.cpu_info') AS cpu_info,
    json_extract(p.engine_record_json, '$.gpu_info') AS gpu_info,
    json_extract(p.engine_record_json, '$.backends') AS backends,
    json_extract(p.engine_record_json, '$.model_filename') AS model_filename,
    json_extract(p.engine_record_json, '$.model_type') AS model_type,
    json_extract(p.engine_record_json, '$.model_size') AS model_size,
    json_extract(p.engine_record_json, '$.model_n_params') AS model_n_params,
    json_extract(p.config_json, '$.n_batch') AS n_batch,
    json_extract(p.config_json, '$.n_ubatch') AS n_ubatch,
    json_extract(p.config_json, '$.n_threads') AS n_threads,
    json_extract(p.engine_record_json, '$.cpu_mask') AS cpu_mask,
    json_extract(p.engine_record_json, '$.cpu_strict') AS cpu_strict,
    json_extract(p.engine_record_json, '$.poll') AS poll,
    json_extract(p.config_json, '$.type_k') AS type_k,
    json_extract(p.config_json, '$.type_v') AS type_v,
    json_extract(p.config_json, '$.n_gpu_layers') AS n_gpu_layers,
    json_extract(p.config_json, '$.n_cpu_moe') AS n_cpu_moe,
    json_extract(p.engine_record_json, '$.split_mode') AS split_mode,
    json_extract(p.engine_record_json, '$.main_gpu') AS main_gpu,
    json_extract(p.engine_record_json, '$.no_kv_offload') AS no_kv_offload,
    json_extract(p.config_json, '$.flash_attn') AS flash_attn,
    json_extract(p.engine_record_json, '$.tensor_split') AS tensor_split,
    json_extract(p.engine_record_json, '$.use_mmap') AS use_mmap,
    json_extract(p.engine_record_json, '$.embeddings') AS embeddings,
    p.n_prompt AS n_prompt, p.n_gen AS n_gen, p.n_depth AS n_depth,
    json_extract(p.engine_record_json, '$.test_time') AS test_time,
    json_extract(p.engine_record_json, '$.avg_ns') AS avg_ns,
    json_extract(p.engine_record_json, '$.stddev_ns') AS stddev_ns,
    p.avg_ts AS avg_ts, p.stddev_ts AS stddev_ts
FROM points p WHERE p.status = 'ok';
"""


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def default_path() -> Path:
    from platformdirs import user_data_dir

    return Path(os.environ.get("RIGBENCH_DB") or Path(user_data_dir("rigbench")) / "results.db")


def fingerprint(host: HostProfile) -> str:
    """Stable id of a machine: CPU, memory size, GPUs and OS architecture, not its load."""
    parts = [
        (host.cpu.model or "") if host.cpu else "",
        str(host.cpu.physical_cores if host.cpu else ""),
        str(round((host.memory.total_bytes or 0) / 2**30) if host.memory else ""),
        host.os.machine,
        *[f"{g.vendor}:{g.name}:{round((g.total_bytes or 0) / 2**30)}" for g in host.gpus],
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _upgrade(conn: sqlite3.Connection, version: int) -> None:
    """Step an older store up to SCHEMA_VERSION (version 1 is the first: nothing to do yet)."""
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))


@dataclass
class Store:
    path: Path
    conn: sqlite3.Connection

    @classmethod
    def open(cls, path: Path | None = None) -> Store:
        path = path or default_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            conn.row_factory = sqlite3.Row
            has_meta = conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name='meta'"
            ).fetchone()
            version = None
            if has_meta:
                row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                version = int(row[0]) if row else None
            if version is not None and version > SCHEMA_VERSION:
                raise UserError(
                    f"{path} was written by a newer rigbench (store schema {version}, this one "
                    f"reads up to {SCHEMA_VERSION})",
                    hint="upgrade rigbench: pip install -U rigbench",
                )
            conn.execute("BEGIN IMMEDIATE")
            conn.executescript(_SCHEMA.replace("CREATE", "CREATE"))  # idempotent
            if version is None:
                conn.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            elif version < SCHEMA_VERSION:
                _upgrade(conn, version)
            if conn.in_transaction:
                conn.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            raise UserError(
                f"cannot use the results database {path}: {exc}",
                hint="choose another file with --db PATH",
            ) from exc
        except OSError as exc:
            raise UserError(
                f"cannot create the results database {path}: {exc.strerror or exc}",
                hint="choose a writable place with --db PATH",
            ) from exc
        return cls(path, conn)

    def close(self) -> None:
        self.conn.close()

    def _tx(self, sql: str, args: tuple[Any, ...]) -> int:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            cur = self.conn.execute(sql, args)
            self.conn.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            if "locked" in str(exc) or "busy" in str(exc):
                raise UserError(
                    f"{self.path} is busy: another sweep holds it past {BUSY_TIMEOUT_S} s",
                    hint="wait for it, or use --db OTHER.db",
                ) from exc
            raise
        return int(cur.lastrowid or 0)

    # -- hosts and calibrations ---------------------------------------------------------------
    def add_host(self, host: HostProfile) -> str:
        fp = fingerprint(host)
        self._tx(
            "INSERT OR REPLACE INTO hosts VALUES (?, ?, COALESCE((SELECT first_seen FROM "
            "hosts WHERE fingerprint = ?), ?))",
            (fp, host.to_json(), fp, now()),
        )
        return fp

    def save_calibration(
        self,
        fp: str,
        backend: str,
        k_bw: float,
        k_compute: float,
        k_attn: float,
        n_points: int,
        residual_sd: float | None,
        version: str,
    ) -> None:
        self._tx(
            "INSERT OR REPLACE INTO calibrations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (fp, backend, k_bw, k_compute, k_attn, n_points, residual_sd, now(), version),
        )

    def calibrations(self, fp: str) -> dict[str, dict[str, Any]]:
        rows = self.conn.execute("SELECT * FROM calibrations WHERE host_fingerprint = ?", (fp,))
        return {r["backend"]: dict(r) for r in rows}

    # -- sweeps and points --------------------------------------------------------------------
    def start_sweep(
        self,
        fp: str,
        model: dict[str, Any],
        spec_json: str | None,
        engine: dict[str, Any],
        args: dict[str, Any],
        args_key: str,
    ) -> int:
        return self._tx(
            "INSERT INTO sweeps (created_at, host_fingerprint, model_json, model_spec_json, "
            "engine_json, args_json, args_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                now(),
                fp,
                json.dumps(model),
                spec_json,
                json.dumps(engine),
                json.dumps(args),
                args_key,
            ),
        )

    def find_sweep(self, fp: str, args_key: str) -> int | None:
        row = self.conn.execute(
            "SELECT id FROM sweeps WHERE host_fingerprint = ? AND args_key = ? ORDER BY id DESC "
            "LIMIT 1",
            (fp, args_key),
        ).fetchone()
        return int(row[0]) if row else None

    def finish_sweep(self, sweep_id: int, status: str) -> None:
        self._tx(
            "UPDATE sweeps SET status = ?, finished_at = ? WHERE id = ?", (status, now(), sweep_id)
        )

    def done_keys(self, sweep_id: int) -> set[str]:
        rows = self.conn.execute("SELECT point_key FROM points WHERE sweep_id = ?", (sweep_id,))
        return {r[0] for r in rows}

    def add_point(
        self,
        sweep_id: int,
        point_key: str,
        config: dict[str, Any],
        prediction: dict[str, Any] | None,
        status: str,
        **fields: Any,
    ) -> int:
        cols = ["sweep_id", "point_key", "created_at", "config_json", "prediction_json", "status"]
        vals: list[Any] = [
            sweep_id,
            point_key,
            now(),
            json.dumps(config),
            json.dumps(prediction) if prediction is not None else None,
            status,
        ]
        for k, v in fields.items():
            cols.append(k)
            vals.append(json.dumps(v) if k.endswith("_json") else v)
        sql = (
            f"INSERT OR REPLACE INTO points ({', '.join(cols)}) "
            f"VALUES ({', '.join('?' * len(cols))})"
        )
        return self._tx(sql, tuple(vals))

    def set_peak_rss(
        self, sweep_id: int, keys: list[str], peak: int | None, gpu: dict[str, int] | None = None
    ) -> None:
        """The engine process's peak RSS and GPU memory (known only when it ends), for the
        points it ran."""
        if not keys:
            return
        marks = ", ".join("?" * len(keys))
        if gpu:
            self._tx(
                f"UPDATE points SET peak_gpu_bytes_json = ? WHERE sweep_id = ? AND "
                f"point_key IN ({marks})",
                (json.dumps(gpu), sweep_id, *keys),
            )
        if peak:
            self._tx(
                f"UPDATE points SET peak_rss_bytes = ? WHERE sweep_id = ? AND point_key "
                f"IN ({marks})",
                (peak, sweep_id, *keys),
            )

    def points(
        self, sweep_id: int | None = None, fp: str | None = None, status: str | None = None
    ) -> Iterator[sqlite3.Row]:
        sql = (
            "SELECT p.*, s.host_fingerprint, s.model_json, s.model_spec_json, s.engine_json "
            "FROM points p JOIN sweeps s ON s.id = p.sweep_id WHERE 1=1"
        )
        args: list[Any] = []
        for cond, val in (
            ("p.sweep_id = ?", sweep_id),
            ("s.host_fingerprint = ?", fp),
            ("p.status = ?", status),
        ):
            if val is not None:
                sql += f" AND {cond}"
                args.append(val)
        yield from self.conn.execute(sql + " ORDER BY p.id", args)

    def host_profile(self, fp: str) -> HostProfile | None:
        from probe import host_profile_from_dict

        row = self.conn.execute(
            "SELECT profile_json FROM hosts WHERE fingerprint = ?", (fp,)
        ).fetchone()
        return host_profile_from_dict(json.loads(row[0])) if row else None

"""The results store: one SQLite file, schema-versioned, written one point per transaction.

Readers reject a newer schema and upgrade an older one step by step. A ``llama_bench``
table, kept in step with the points by triggers, has llama-bench's own SQL columns, so
llama.cpp's compare-llama-bench.py reads the store as it reads llama-bench's output.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import hashlib
import json
import os
import re
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._store_schema import (
    LLAMA_BENCH_TABLE,
    SCHEMA,
    SCHEMA_VERSION,
    UPGRADES,
)
from bench.records import (
    Calibration,
    Measurement,
    Prediction,
    RunConfig,
    StoredPoint,
    SweepInfo,
)
from probe import HostProfile
from probe.errors import UserError

BUSY_TIMEOUT_S = 30  # a second writer waits this long for the first one's transaction


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


@dataclass(frozen=True, slots=True)
class SweepOrigin:
    """A sweep's args key (with host and start, its identity in any store) and runner label."""

    args_key: str
    label: str | None = None


def _upgrade(conn: sqlite3.Connection, version: int) -> None:
    """Step an older store up to SCHEMA_VERSION, one version at a time. A column a step adds
    may be there already: a table the older store lacked was just created whole by SCHEMA."""
    for step in range(version, SCHEMA_VERSION):
        for sql in UPGRADES[step]:
            added = re.fullmatch(r"ALTER TABLE (\w+) ADD COLUMN (\w+) .*", sql)
            if added and added[2] in {
                r[1] for r in conn.execute(f"PRAGMA table_info({added[1]})").fetchall()
            }:
                continue
            conn.execute(sql)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION),))


@dataclass
class Store:
    path: Path
    conn: sqlite3.Connection

    @classmethod
    def open(cls, path: Path | None = None, readonly: bool = False) -> Store:
        """Open (and create, unless ``readonly``) the results store.

        Args:
            path: The SQLite file (None: ``default_path()``).
            readonly: Read only (reports): no tables are created and nothing is written, so a
                store on read-only media or in a read-only file can be read.

        Raises:
            UserError: the file is from a newer rigbench, is not a SQLite database, cannot be
                created, or (``readonly``) does not exist or holds no results store.
        """
        path = path or default_path()
        try:
            if readonly:
                conn = _connect_readonly(path)
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
            # REPLACE deletes the old row: its llama_bench twin goes only with recursive triggers.
            conn.execute("PRAGMA recursive_triggers=ON")
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
            if readonly:
                # Nothing is upgraded in place (a schema-1 store has no sweeps.label: no labels).
                if version is None:
                    raise UserError(
                        f"{path} is not a rigbench results database (no schema version)",
                        hint="give the file `bench sweep --db PATH` wrote",
                    )
                return cls(path, conn)
            conn.execute("BEGIN IMMEDIATE")
            conn.executescript(SCHEMA.format(LLAMA_BENCH_TABLE=LLAMA_BENCH_TABLE))
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
            if isinstance(exc, sqlite3.OperationalError):
                _raise_write_error(path, exc)
                _raise_busy(path, exc)
                if _is(exc, _CANTOPEN) and readonly:
                    raise UserError(
                        f"cannot read the results database {path}: {exc} (its directory is "
                        "read-only and SQLite cannot open the -shm file of its -wal)",
                        hint="copy the file with its -wal to a writable directory and use --db",
                    ) from exc
                if _is(exc, _CANTOPEN) and path.is_file():
                    # An existing file on a read-only mount: SQLite opens it read-only, then
                    # cannot create the -wal and -shm files WAL mode needs beside it.
                    _raise_write_error(path, exc, read_only=True)
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

    def integrity_check(self) -> str:
        """SQLite's own check of the file: ``ok`` or the first problem it finds."""
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])

    def _tx(self, sql: str, args: tuple[Any, ...]) -> int:
        with self._write():
            return int(self.conn.execute(sql, args).lastrowid or 0)

    @contextlib.contextmanager
    def _write(self) -> Iterator[None]:
        """One write transaction: committed whole, or (on any error) rolled back whole."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            yield
            self.conn.execute("COMMIT")
        except BaseException as exc:
            if self.conn.in_transaction:
                # On a full disk the rollback can fail too; the transaction is lost either way,
                # and every earlier one (every point stored so far) is already committed.
                with contextlib.suppress(sqlite3.Error):
                    self.conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                _raise_busy(self.path, exc)
                _raise_write_error(self.path, exc)
            raise

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
        self, fp: str, backend: str, cal: Calibration, version: str, replace: bool = True
    ) -> bool:
        """Store a calibration; ``replace=False`` (a bundle's) keeps one already stored."""
        verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
        row = {"host_fingerprint": fp, "backend": backend, **dataclasses.asdict(cal)}
        row |= {"fitted_at": now(), "predictor_version": version}
        with self._write():
            cur = self.conn.execute(_insert(f"{verb} INTO calibrations", row), tuple(row.values()))
        return cur.rowcount > 0

    def calibrations(self, fp: str) -> dict[str, tuple[Calibration, str]]:
        """Per backend: the stored calibration and the predictor version it was fitted for."""
        rows = self.conn.execute("SELECT * FROM calibrations WHERE host_fingerprint = ?", (fp,))
        # a store before schema 5 (read read-only) has no k_socket: k_bw scales both caps
        apart = "k_socket" in {d[0] for d in rows.description}
        return {
            r["backend"]: (
                Calibration(
                    r["k_bw"],
                    r["k_compute"],
                    r["k_attn"],
                    r["n_points"],
                    r["residual_sd"],
                    r["k_socket"] if apart else None,
                ),
                r["predictor_version"],
            )
            for r in rows
        }

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

    def find_sweep(self, fp: str, args_key: str, created_at: str | None = None) -> int | None:
        """Latest sweep of this host and args key (and start: the same sweep in any store)."""
        row = self.conn.execute(
            "SELECT id FROM sweeps WHERE host_fingerprint = ? AND args_key = ? AND created_at "
            "= coalesce(?, created_at) ORDER BY id DESC LIMIT 1",
            (fp, args_key, created_at),
        ).fetchone()
        return int(row[0]) if row else None

    def finish_sweep(self, sweep_id: int, status: str) -> None:
        self._tx(
            "UPDATE sweeps SET status = ?, finished_at = ? WHERE id = ?", (status, now(), sweep_id)
        )

    def done_keys(self, sweep_id: int, failed: bool = True) -> set[str]:
        """Keys of the points a sweep has stored (``failed=False``: not counting failed ones,
        which a retry runs again)."""
        sql = "SELECT point_key FROM points WHERE sweep_id = ?"
        if not failed:
            sql += " AND status != 'failed'"
        return {r[0] for r in self.conn.execute(sql, (sweep_id,))}

    def add_point(
        self,
        sweep_id: int,
        point_key: str,
        config: RunConfig,
        prediction: Prediction | None,
        m: Measurement,
    ) -> int:
        """One point of a sweep, in one transaction (replacing an earlier one of its key)."""
        row = _point_row(sweep_id, StoredPoint(0, 0, point_key, now(), "", config, prediction, m))
        return self._tx(_insert("INSERT OR REPLACE INTO points", row), tuple(row.values()))

    # -- whole sweeps, for bundles (report export / import) -----------------------------------
    def sweep_origin(self, sweep_id: int) -> SweepOrigin | None:
        row = self.conn.execute("SELECT * FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        return SweepOrigin(row["args_key"], dict(row).get("label")) if row else None

    def insert_sweep(self, info: SweepInfo, origin: SweepOrigin, pts: Sequence[StoredPoint]) -> int:
        """A sweep from elsewhere (a bundle) with its times, status and points, stored whole or
        not at all (one transaction); ids in ``info`` and ``pts`` are ignored."""
        names = ("model", "model_spec", "engine", "args")
        row = {f"{n}_json": json.dumps(getattr(info, n)) for n in names} | {
            "created_at": info.created_at,
            "host_fingerprint": info.host_fingerprint,
            "status": info.status or "imported",
            **dataclasses.asdict(origin),
        }
        with self._write():
            cur = self.conn.execute(_insert("INSERT INTO sweeps", row), tuple(row.values()))
            sweep_id = int(cur.lastrowid or 0)
            rows = [tuple(_point_row(sweep_id, p).values()) for p in pts]
            if rows:
                self.conn.executemany(_insert("INSERT INTO points", _point_row(0, pts[0])), rows)
        return sweep_id

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
    ) -> list[StoredPoint]:
        """Stored points, oldest first, as typed records."""
        sql = (
            "SELECT p.*, s.host_fingerprint FROM points p JOIN sweeps s ON s.id = p.sweep_id "
            "WHERE 1=1"
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
        return [_point(r) for r in self.conn.execute(sql + " ORDER BY p.id", args)]

    def sweeps(self, fp: str | None = None) -> list[SweepInfo]:
        """Stored sweeps, oldest first (of one host with ``fp``)."""
        sql, args = "SELECT * FROM sweeps", tuple[str, ...]()
        if fp is not None:
            sql, args = sql + " WHERE host_fingerprint = ?", (fp,)
        return [_sweep(r) for r in self.conn.execute(sql + " ORDER BY id", args)]

    def sweep(self, sweep_id: int) -> SweepInfo | None:
        row = self.conn.execute("SELECT * FROM sweeps WHERE id = ?", (sweep_id,)).fetchone()
        return _sweep(row) if row else None

    # -- serve runs (bench serve) -------------------------------------------------------------
    def start_serve(
        self,
        fp: str,
        model: dict[str, Any],
        engine: dict[str, Any],
        args: dict[str, Any],
        prediction: dict[str, Any] | None,
    ) -> int:
        """A ``bench serve`` run, before its first level (status 'running')."""
        row: dict[str, str | None] = {
            "created_at": now(),
            "host_fingerprint": fp,
            "model_json": json.dumps(model),
        }
        row |= {"engine_json": json.dumps(engine), "args_json": json.dumps(args)}
        row["prediction_json"] = json.dumps(prediction) if prediction is not None else None
        return self._tx(_insert("INSERT INTO serve_runs", row), tuple(row.values()))

    def add_serve_level(self, run_id: int, level: dict[str, Any]) -> None:
        """One finished level (users, n_prompt, n_gen, skipped, summary, predicted, energy,
        requests), in one transaction, as soon as it finishes."""
        row: dict[str, Any] = {"run_id": run_id, "created_at": now()}
        row |= {k: level.get(k) for k in ("users", "n_prompt", "n_gen", "skipped")}
        for k in ("summary", "predicted", "energy", "requests"):
            row[f"{k}_json"] = json.dumps(level[k]) if level.get(k) is not None else None
        self._tx(_insert("INSERT OR REPLACE INTO serve_levels", row), tuple(row.values()))

    def add_serve_batched_bench(self, run_id: int, result: dict[str, Any]) -> None:
        """llama-batched-bench's rows (or why there are none) for a serve run."""
        self._tx(
            "UPDATE serve_runs SET batched_bench_json = ? WHERE id = ?",
            (json.dumps(result), run_id),
        )

    def finish_serve(self, run_id: int, status: str) -> None:
        self._tx(
            "UPDATE serve_runs SET status = ?, finished_at = ? WHERE id = ?",
            (status, now(), run_id),
        )

    def serve_runs(self, fp: str | None = None) -> list[dict[str, Any]]:
        """Stored serve runs, oldest first, each with its ``levels`` in the order they ran
        (none in a store older than schema 3 read read-only)."""
        if not self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name='serve_runs'"
        ).fetchone():
            return []
        sql, args = "SELECT * FROM serve_runs", tuple[str, ...]()
        if fp is not None:
            sql, args = sql + " WHERE host_fingerprint = ?", (fp,)
        runs = []
        for r in self.conn.execute(sql + " ORDER BY id", args).fetchall():
            levels = self.conn.execute(
                "SELECT * FROM serve_levels WHERE run_id = ? ORDER BY id", (r["id"],)
            )
            # a store before schema 4 read read-only has no batched_bench column: null, as in 4
            row = {"batched_bench": None} | _unjson(r)
            runs.append(row | {"levels": [_unjson(lv) for lv in levels]})
        return runs

    def host_profile(self, fp: str) -> HostProfile | None:
        from probe import host_profile_from_dict

        row = self.conn.execute(
            "SELECT profile_json FROM hosts WHERE fingerprint = ?", (fp,)
        ).fetchone()
        return host_profile_from_dict(json.loads(row[0])) if row else None


# SQLite's result codes (sqlite3.h) for a write that cannot land: SQLITE_FULL (13), SQLITE_IOERR
# (10, and its extended codes: a failed write or fsync), SQLITE_READONLY (8, and its extended
# codes); and SQLITE_CANTOPEN (14) for a read-only open that cannot get its WAL index.
# Python 3.11+ names the code in ``sqlite_errorcode``; 3.10 only has the message: both count.
_FULL = (13, "database or disk is full")
_IOERR = (10, "disk I/O error")
_READONLY = (8, "attempt to write a readonly database")
_CANTOPEN = (14, "unable to open database file")


def _is(exc: sqlite3.Error, code: tuple[int, str]) -> bool:
    primary = getattr(exc, "sqlite_errorcode", None)
    if isinstance(primary, int) and primary & 0xFF == code[0]:
        return True
    return code[1] in str(exc)


def _raise_busy(path: Path, exc: sqlite3.OperationalError) -> None:
    if "locked" in str(exc) or "busy" in str(exc):
        raise UserError(
            f"{path} is busy: another sweep holds it past {BUSY_TIMEOUT_S} s",
            hint="wait for it, or use --db OTHER.db",
        ) from exc


def _raise_write_error(path: Path, exc: sqlite3.OperationalError, read_only: bool = False) -> None:
    """A write that cannot land, as one line; anything else returns (the caller re-raises)."""
    if _is(exc, _FULL) or _is(exc, _IOERR):
        raise UserError(
            f"cannot write the results database {path}: {exc} (what it held before is kept)",
            hint="free some space on its disk, then run the same command with --resume "
            "(or use --db OTHER on another disk)",
        ) from exc
    if read_only or _is(exc, _READONLY):
        raise UserError(
            f"cannot write the results database {path}: {exc} (read-only file, directory "
            "or filesystem)",
            hint="give a writable file with --db OTHER (reports can read this one as it is)",
        ) from exc


def _connect_readonly(path: Path) -> sqlite3.Connection:
    """SQLite's read-only open: ``mode=ro``, and ``immutable=1`` where the directory is not
    writable and no WAL is beside the file (a WAL reader needs a -shm file it may create;
    an immutable open reads the main file only, so it must not be used while a -wal holds
    committed points)."""
    if not path.is_file():
        raise UserError(
            f"no results database at {path}",
            hint="run a sweep first: bench sweep --model synth:llama:250M:Q4_K_M",
        )
    wal = path.with_name(path.name + "-wal")
    immutable = not os.access(path.parent, os.W_OK) and not (wal.exists() and wal.stat().st_size)
    uri = f"{path.resolve().as_uri()}?mode=ro" + ("&immutable=1" if immutable else "")
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)


def _loads(text: str | None, default: Any = None) -> Any:
    return json.loads(text) if text else default


def _unjson(r: sqlite3.Row) -> dict[str, Any]:
    """A row as a dict, its ``*_json`` columns decoded under their names without ``_json``."""
    return {
        k.removesuffix("_json"): _loads(v) if k.endswith("_json") else v for k, v in dict(r).items()
    }


def _insert(verb: str, row: dict[str, Any]) -> str:
    return f"{verb} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"


# Columns of the points table that hold a Measurement field (or a RunConfig field) as it is.
_MEASUREMENT_COLUMNS: tuple[str, ...] = ("status", "failure_class", "skip_rule", "avg_ts")
_MEASUREMENT_COLUMNS += ("stddev_ts", "peak_rss_bytes", "load_s", "returncode", "stderr_tail")


def _point_row(sweep_id: int, p: StoredPoint) -> dict[str, Any]:
    config, m = p.config, p.measurement
    return {
        "sweep_id": sweep_id,
        "point_key": p.key,
        "created_at": p.created_at,
        "config_json": json.dumps(config.to_dict()),
        "prediction_json": json.dumps(p.prediction.to_dict()) if p.prediction else None,
        **{k: getattr(m, k) for k in _MEASUREMENT_COLUMNS},
        **{k: getattr(config, k) for k in ("n_prompt", "n_gen", "n_depth")},
        "samples_ns_json": json.dumps(list(m.samples_ns)),
        "peak_gpu_bytes_json": json.dumps(m.peak_gpu_bytes) if m.peak_gpu_bytes else None,
        "engine_record_json": json.dumps(m.engine_record) if m.engine_record else None,
    }


def _point(r: sqlite3.Row) -> StoredPoint:
    pred = _loads(r["prediction_json"])
    return StoredPoint(
        id=r["id"],
        sweep_id=r["sweep_id"],
        key=r["point_key"],
        created_at=r["created_at"],
        host_fingerprint=r["host_fingerprint"],
        config=RunConfig.from_dict(json.loads(r["config_json"])),
        prediction=Prediction.from_dict(pred) if isinstance(pred, dict) else None,
        measurement=Measurement(
            status=r["status"],
            avg_ts=r["avg_ts"],
            stddev_ts=r["stddev_ts"],
            samples_ns=tuple(int(x) for x in _loads(r["samples_ns_json"], [])),
            failure_class=r["failure_class"],
            skip_rule=r["skip_rule"],
            engine_record=_loads(r["engine_record_json"]),
            load_s=r["load_s"],
            peak_rss_bytes=r["peak_rss_bytes"],
            peak_gpu_bytes=_loads(r["peak_gpu_bytes_json"]),
            returncode=r["returncode"],
            stderr_tail=r["stderr_tail"],
        ),
    )


def _sweep(r: sqlite3.Row) -> SweepInfo:
    return SweepInfo(
        id=r["id"],
        created_at=r["created_at"],
        host_fingerprint=r["host_fingerprint"],
        model=json.loads(r["model_json"]),
        model_spec=_loads(r["model_spec_json"]),
        engine=json.loads(r["engine_json"]),
        args=json.loads(r["args_json"]),
        status=r["status"],
    )


def read_llama_bench_sql(source: Path | str) -> list[dict[str, Any]] | None:
    """The rows of llama-bench's own SQL table (``llama_bench`` since late 2024, ``test``
    before) from a SQLite file (a Path) or an ``-o sql`` dump (a str); None when there is no
    such table. Raises sqlite3.DatabaseError on a file or script SQLite cannot read."""
    if isinstance(source, Path):
        conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    else:
        conn = sqlite3.connect(":memory:")
        conn.executescript(source)
    try:
        conn.row_factory = sqlite3.Row
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        table = next((t for t in ("llama_bench", "test") if t in names), None)
        if table is None:
            return None
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table}")]
    finally:
        conn.close()

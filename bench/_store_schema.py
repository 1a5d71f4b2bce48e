"""The results store's schema as text: its version and history, its tables, and the steps that
upgrade an older store. Nothing here runs SQL; ``bench.store`` does."""

from __future__ import annotations

# Store schema history:
#   1 — first version (rigbench 0.1): hosts, sweeps, points, calibrations, llama_bench table.
#   2 — sweeps.label: the CI runner label a sweep was exported with, kept when bundles of
#       several machines are merged (issue 16); a schema-1 store read read-only has none.
#   3 — serve_runs and serve_levels: `bench serve` results, one level per row, written as each
#       level finishes (issue 17); a store older than 3 read read-only has no serve runs.
#   4 — serve_runs.batched_bench_json: llama-batched-bench's rows of the run (the engine-side
#       ceiling), stored before the run is marked done; older runs have none.
#   5 — calibrations.k_socket: a CPU's socket bandwidth factor fitted apart from its threads'
#       (speed predictor 27); NULL, and a store older than 5 read read-only has none: k_bw
#       scales both caps.
SCHEMA_VERSION = 5

# llama-bench's own SQL table (`llama-bench -o sql`, llama.cpp 0c1e570), kept in step with the
# points by triggers, so llama.cpp's scripts/compare-llama-bench.py reads this database as if
# llama-bench had written it (the script looks for a table, not a view).
LLAMA_BENCH_COLUMNS = (
    ("build_commit", "TEXT"),
    ("build_number", "INTEGER"),
    ("cpu_info", "TEXT"),
    ("gpu_info", "TEXT"),
    ("backends", "TEXT"),
    ("model_filename", "TEXT"),
    ("model_type", "TEXT"),
    ("model_size", "INTEGER"),
    ("model_n_params", "INTEGER"),
    ("n_batch", "INTEGER"),
    ("n_ubatch", "INTEGER"),
    ("n_threads", "INTEGER"),
    ("cpu_mask", "TEXT"),
    ("cpu_strict", "INTEGER"),
    ("poll", "INTEGER"),
    ("type_k", "TEXT"),
    ("type_v", "TEXT"),
    ("n_gpu_layers", "INTEGER"),
    ("n_cpu_moe", "INTEGER"),
    ("split_mode", "TEXT"),
    ("main_gpu", "INTEGER"),
    ("no_kv_offload", "INTEGER"),
    ("flash_attn", "INTEGER"),
    ("devices", "TEXT"),
    ("tensor_split", "TEXT"),
    ("tensor_buft_overrides", "TEXT"),
    ("load_mode", "TEXT"),
    ("lazy_mode", "TEXT"),
    ("embeddings", "INTEGER"),
    ("no_op_offload", "INTEGER"),
    ("no_host", "INTEGER"),
    ("repack", "INTEGER"),
    ("fit_target", "INTEGER"),
    ("fit_min_ctx", "INTEGER"),
    ("n_prompt", "INTEGER"),
    ("n_gen", "INTEGER"),
    ("n_depth", "INTEGER"),
    ("test_time", "TEXT"),
    ("avg_ns", "INTEGER"),
    ("stddev_ns", "INTEGER"),
    ("avg_ts", "REAL"),
    ("stddev_ts", "REAL"),
)
_COLS = ", ".join(name for name, _ in LLAMA_BENCH_COLUMNS)
LLAMA_BENCH_TABLE = (
    "CREATE TABLE IF NOT EXISTS llama_bench (point_id INTEGER PRIMARY KEY, "
    + ", ".join(f"{n} {t}" for n, t in LLAMA_BENCH_COLUMNS)
    + ");\n"
    "CREATE TRIGGER IF NOT EXISTS llama_bench_add AFTER INSERT ON points "
    "WHEN NEW.status = 'ok' AND NEW.engine_record_json IS NOT NULL BEGIN "
    f"INSERT INTO llama_bench (point_id, {_COLS}) VALUES (NEW.id, "
    + ", ".join(f"json_extract(NEW.engine_record_json, '$.{n}')" for n, _ in LLAMA_BENCH_COLUMNS)
    + "); END;\n"
    "CREATE TRIGGER IF NOT EXISTS llama_bench_drop AFTER DELETE ON points BEGIN "
    "DELETE FROM llama_bench WHERE point_id = OLD.id; END;\n"
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS hosts (
    fingerprint TEXT PRIMARY KEY, profile_json TEXT NOT NULL, first_seen TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sweeps (
    id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, host_fingerprint TEXT NOT NULL,
    model_json TEXT NOT NULL, model_spec_json TEXT, engine_json TEXT NOT NULL,
    args_json TEXT NOT NULL, args_key TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'running',
    finished_at TEXT, label TEXT);
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
    predictor_version TEXT NOT NULL, k_socket REAL, PRIMARY KEY (host_fingerprint, backend));
CREATE TABLE IF NOT EXISTS serve_runs (
    id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, host_fingerprint TEXT NOT NULL,
    model_json TEXT NOT NULL, engine_json TEXT NOT NULL, args_json TEXT NOT NULL,
    prediction_json TEXT, status TEXT NOT NULL DEFAULT 'running', finished_at TEXT,
    batched_bench_json TEXT);
CREATE TABLE IF NOT EXISTS serve_levels (
    id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES serve_runs(id),
    created_at TEXT NOT NULL, users INTEGER NOT NULL, n_prompt INTEGER NOT NULL,
    n_gen INTEGER NOT NULL, skipped TEXT, summary_json TEXT, predicted_json TEXT,
    energy_json TEXT, requests_json TEXT, UNIQUE (run_id, users, n_prompt));
{LLAMA_BENCH_TABLE}"""

# Each step takes a store of the version it is keyed by to the next one. Tables a step adds
# whole are in SCHEMA (CREATE TABLE IF NOT EXISTS, run on every writable open): no statement.
UPGRADES: dict[int, tuple[str, ...]] = {
    1: ("ALTER TABLE sweeps ADD COLUMN label TEXT",),  # runner labels of imported sweeps
    2: (),  # serve_runs, serve_levels
    3: ("ALTER TABLE serve_runs ADD COLUMN batched_bench_json TEXT",),
    4: ("ALTER TABLE calibrations ADD COLUMN k_socket REAL",),
}

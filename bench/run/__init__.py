"""What does happen: engines (find and build llama-bench, llama-fit-params, llama-server and
llama-batched-bench), the serving sweep (``run_serve``), one engine
process per cell with its failure class, the llama-cpp-python runner, and the sweep
(``run_sweep(request) -> SweepOutcome``), which stores a Prediction before each Measurement.
"""

from __future__ import annotations

from bench.run._batched import batched_bench_summary
from bench.run._engines import (
    BACKEND_FLAGS,
    SOURCE_VERSION,
    EngineInfo,
    build_llama_bench,
    default_backend,
    fetch_source,
    find_batched_bench,
    find_llama_bench,
    find_llama_server,
    fit_params_beside,
    inspect_llama_bench,
    inspect_llama_cpp_python,
    parse_devices,
    parse_version,
    rigbench_cache,
)
from bench.run._orchestrate import (
    SweepOutcome,
    Target,
    engine_info,
    host_profile,
    outcome_to_dict,
    run_sweep,
)
from bench.run._process import (
    EngineFailed,
    RunResult,
    classify,
    parse_jsonl,
    run_llama_bench,
    run_llama_cpp_python,
    run_process,
)
from bench.run._serve import (
    LevelResult,
    RequestRecord,
    ServeOutcome,
    ServeRequest,
    ServerFailed,
    run_serve,
)
from bench.run._serve import outcome_to_dict as serve_outcome_to_dict
from bench.run._sweep import SweepSummary, point_key, summarise, sweep

__all__ = [
    "BACKEND_FLAGS",
    "SOURCE_VERSION",
    "EngineFailed",
    "EngineInfo",
    "LevelResult",
    "RequestRecord",
    "RunResult",
    "ServeOutcome",
    "ServeRequest",
    "ServerFailed",
    "SweepOutcome",
    "SweepSummary",
    "Target",
    "batched_bench_summary",
    "build_llama_bench",
    "classify",
    "default_backend",
    "engine_info",
    "fetch_source",
    "find_batched_bench",
    "find_llama_bench",
    "find_llama_server",
    "fit_params_beside",
    "host_profile",
    "inspect_llama_bench",
    "inspect_llama_cpp_python",
    "outcome_to_dict",
    "parse_devices",
    "parse_jsonl",
    "parse_version",
    "point_key",
    "rigbench_cache",
    "run_llama_bench",
    "run_llama_cpp_python",
    "run_process",
    "run_serve",
    "run_sweep",
    "serve_outcome_to_dict",
    "summarise",
    "sweep",
]

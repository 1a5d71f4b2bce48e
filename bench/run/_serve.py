"""``run_serve``: how many users can share one llama-server (issue 17).

Starts llama-server with the planned placement (-np = the most users, --cont-batching, -c),
waits for /health, then for each (users, prompt) level drives it from N concurrent users with a
streaming HTTP client (stdlib ``http.client``, ``POST /completion`` with ``"stream": true`` and
``"cache_prompt": false``; the prompt is a list of random token ids of exact length). Records
per request queue time, TTFT, inter-token gaps and generated tokens; samples device energy over
each level; runs llama-batched-bench for the engine-side ceiling. The server is killed on every
way out (its whole process group, and by the kernel if rigbench dies: ``_process``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import random
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import probe
from bench.model import read_local
from bench.predictor import (
    ServingPrediction,
    best_fit,
    budget,
    predict_serving,
    stored_calibrations,
)
from bench.records import MemConfig, RunConfig, SweepRequest
from bench.run import _engines
from bench.run._batched import (
    batched_bench_argv,
    expected_rows,
    run_batched_bench,
)
from bench.run._orchestrate import Target, choose_targets, host_profile
from bench.run._process import _die_with_parent, _kill, _tail
from bench.run._serve_store import recording
from probe.errors import UserError

# `bench serve --format json` schema history:
#   1 — server argv, per level the raw requests (queue, TTFT, inter-token gaps, tokens), energy
#       with its sources or NA reason, the prediction beside it, and llama-batched-bench rows.
SCHEMA_VERSION = 1
HEALTH_TIMEOUT_S = 300.0  # loading a 20 GB model from a cold disk takes a few minutes
TOKEN_NORMAL = 1  # llama.cpp LLAMA_TOKEN_TYPE_NORMAL (tokenizer.ggml.token_type)
JOULES_PER_KWH = 3.6e6


class ServerFailed(Exception):
    """llama-server exited or never became healthy; ``log_tail`` holds its last lines."""

    def __init__(self, message: str, log_tail: str) -> None:
        super().__init__(message)
        self.log_tail = log_tail


@dataclass(frozen=True, slots=True)
class ServeRequest:
    """Everything ``bench serve`` is asked."""

    model: str
    ctx: int = 32768
    users: tuple[int, ...] = (1, 2, 4, 8)
    prompts: tuple[int, ...] = (512, 8192)
    n_gen: int = 256
    duration_s: float = 60.0
    max_requests: int = 1000  # per user and level
    request_timeout_s: float = 600.0
    price_kwh: float = 0.30
    threads: int = 0  # 0: llama.cpp's default
    llama_server: str | None = None
    batched_bench: bool = True
    offline: bool = False
    host: probe.HostProfile | None = None
    db: Path | None = None  # the results store each level is written to (None: not stored)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the client saw it. Seconds from the level's start; NA as None."""

    user: int
    sent_s: float
    ttft_s: float | None
    queue_s: float | None  # TTFT not spent in prefill (server's prompt_ms): waiting, HTTP
    gaps_s: tuple[float, ...]  # between successive streamed tokens
    gen_tokens: int
    prompt_tokens: int | None  # as the server counted them (timings.prompt_n)
    end_s: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class LevelResult:
    users: int
    n_prompt: int
    n_gen: int
    wall_s: float
    requests: tuple[RequestRecord, ...]
    energy: dict[str, Any]
    skipped: str | None = None  # the rule that skipped it

    @property
    def failed(self) -> bool:
        """A level that ran and had a request end in an error or without a first token (the
        ``errors`` of its stats)."""
        return self.skipped is None and any(
            r.error is not None or r.ttft_s is None for r in self.requests
        )

    def stats(self, price_kwh: float) -> dict[str, Any]:
        ok = [r for r in self.requests if r.error is None and r.ttft_s is not None]
        ttfts = sorted(r.ttft_s for r in ok if r.ttft_s is not None)
        per_user = [len(r.gaps_s) / sum(r.gaps_s) for r in ok if sum(r.gaps_s) > 0]
        tokens = sum(r.gen_tokens for r in ok)
        joules = self.energy.get("joules")
        jpt = joules / tokens if joules is not None and tokens else None
        return {
            "requests": len(self.requests),
            "errors": len(self.requests) - len(ok),
            "ttft_p50_s": percentile(ttfts, 50),
            "ttft_p95_s": percentile(ttfts, 95),
            "queue_p50_s": percentile(sorted(r.queue_s for r in ok if r.queue_s is not None), 50),
            "itl_p50_s": percentile(sorted(g for r in ok for g in r.gaps_s), 50),
            "per_user_tokens_per_s": percentile(sorted(per_user), 50),
            "aggregate_tokens_per_s": tokens / self.wall_s if self.wall_s else None,
            "generated_tokens": tokens,
            "joules_per_token": jpt,
            "cost_per_million_tokens": jpt * 1e6 / JOULES_PER_KWH * price_kwh if jpt else None,
        }


@dataclass(frozen=True, slots=True)
class ServeOutcome:
    model: dict[str, Any]
    server_argv: tuple[str, ...]
    levels: tuple[LevelResult, ...]
    prediction: ServingPrediction
    batched_bench: tuple[dict[str, Any], ...]
    batched_bench_error: str | None
    price_kwh: float
    exit_status: int = 0
    reason: str | None = None
    engine: dict[str, Any] = field(default_factory=dict)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list; None when empty."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[k]


# -- the server process -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return _tail(text, lines)


@contextlib.contextmanager
def running_server(
    argv: list[str], port: int, log_path: Path, health_timeout_s: float = HEALTH_TIMEOUT_S
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server, wait until ``GET /health`` answers 200, yield it; kill its process
    group on every way out (Ctrl-C, a timeout, an exception in the caller).

    Raises:
        ServerFailed: it exited, or was not healthy within ``health_timeout_s``.
    """
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
    try:
        deadline = time.monotonic() + health_timeout_s
        while not _healthy(port):
            if proc.poll() is not None:
                raise ServerFailed(
                    f"{Path(argv[0]).name} exited {proc.returncode} before it was healthy",
                    _log_tail(log_path),
                )
            if time.monotonic() > deadline:
                raise ServerFailed(
                    f"{Path(argv[0]).name} was not healthy after {health_timeout_s:.0f} s",
                    _log_tail(log_path),
                )
            time.sleep(0.1)
        yield proc
    finally:
        _kill(proc)  # type: ignore[arg-type]
        proc.wait()


def _healthy(port: int) -> bool:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


# -- the client -------------------------------------------------------------------------------


def stream_completion(
    port: int, prompt: list[int], n_gen: int, timeout_s: float, t0: float, user: int = 0
) -> RequestRecord:
    """One streamed ``/completion``; times measured against ``t0`` (``time.perf_counter``)."""
    body = json.dumps(
        {
            "prompt": prompt,
            "n_predict": n_gen,
            "stream": True,
            "cache_prompt": False,
            "ignore_eos": True,  # exactly n_gen tokens, whatever the model samples
            "temperature": 0.0,
        }
    )
    sent = time.perf_counter()
    first: float | None = None
    last = sent
    gaps: list[float] = []
    tokens = 0
    final: dict[str, Any] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("POST", "/completion", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        if resp.status != 200:
            text = resp.read(300).decode(errors="replace")
            raise http.client.HTTPException(f"HTTP {resp.status}: {text}")
        for raw in resp:
            line = raw.decode(errors="replace").strip()
            if not line.startswith("data:"):
                continue
            event = json.loads(line[5:])
            n = len(event.get("tokens") or ()) or (1 if event.get("content") else 0)
            if n and not event.get("stop"):
                now = time.perf_counter()
                if first is None:
                    first = now
                else:
                    gaps.append(now - last)
                last = now
                tokens += n
            if event.get("stop"):
                final = event
                break
            if time.perf_counter() - sent > timeout_s:
                raise TimeoutError(f"request ran past {timeout_s:.0f} s")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return RequestRecord(
            user, sent - t0, None, None, tuple(gaps), tokens, None, time.perf_counter() - t0,
            f"{type(exc).__name__}: {exc}",
        )  # fmt: skip
    finally:
        conn.close()
    timings = final.get("timings") or {}
    ttft = first - sent if first is not None else None
    prompt_ms = timings.get("prompt_ms")
    queue = max(0.0, ttft - prompt_ms / 1e3) if ttft is not None and prompt_ms else None
    gen = int(timings.get("predicted_n") or final.get("tokens_predicted") or tokens)
    error = None if first is not None else "no token streamed"
    return RequestRecord(
        user, sent - t0, ttft, queue, tuple(gaps), gen, timings.get("prompt_n"),
        time.perf_counter() - t0, error,
    )  # fmt: skip


def normal_token_ids(model: Path, n_vocab: int) -> list[int]:
    """Ids of ordinary tokens (no control, byte or unused ones) from the GGUF's token types;
    without types, the middle 80 % of the vocabulary (special tokens sit at either end)."""
    try:
        types = read_local(model).metadata.get("tokenizer.ggml.token_type")
    except (OSError, ValueError):
        types = None
    if types is not None and hasattr(types, "__len__") and len(types) == n_vocab:
        ids = [i for i, t in enumerate(types) if int(t) == TOKEN_NORMAL]
        if ids:
            return ids
    return list(range(n_vocab // 10, max(n_vocab * 9 // 10, n_vocab // 10 + 1)))


def drive_level(
    port: int,
    users: int,
    n_prompt: int,
    n_gen: int,
    vocab: list[int],
    duration_s: float,
    max_requests: int,
    request_timeout_s: float,
    seed: int = 0,
) -> tuple[float, list[RequestRecord]]:
    """N users send requests back to back until ``duration_s`` has passed (a request running
    then finishes) or each has sent ``max_requests``. Returns the wall time and the records."""
    records: list[RequestRecord] = []
    lock = threading.Lock()
    start = threading.Barrier(users + 1)
    t0 = time.perf_counter()

    def user(u: int) -> None:
        rng = random.Random(seed * 7919 + u)
        start.wait()
        for _ in range(max_requests):
            prompt = [rng.choice(vocab) for _ in range(n_prompt)]  # before the clock is read
            if time.perf_counter() - t0 >= duration_s:
                break
            rec = stream_completion(port, prompt, n_gen, request_timeout_s, t0, u)
            with lock:
                records.append(rec)

    threads = [threading.Thread(target=user, args=(u,), daemon=True) for u in range(users)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    start.wait()
    hard_stop = t0 + duration_s + request_timeout_s + 5
    for t in threads:  # joined in slices, so Ctrl-C reaches this thread
        while t.is_alive() and time.perf_counter() < hard_stop:
            t.join(timeout=0.2)
    wall = (max((r.end_s for r in records), default=0.0)) or time.perf_counter() - t0
    with lock:
        return wall, sorted(records, key=lambda r: r.sent_s)


# -- the sweep --------------------------------------------------------------------------------


def server_flags(cfg: MemConfig, threads: int) -> list[str]:
    """Placement and kernel flags shared by llama-server and llama-batched-bench."""
    ngl = "999" if cfg.n_gpu_layers < 0 else str(cfg.n_gpu_layers)
    out = ["-ngl", ngl, "-fa", "on" if cfg.flash_attn else "off"]
    out += ["-ctk", cfg.type_k, "-ctv", cfg.type_v, "-b", str(cfg.n_batch)]
    out += ["-ub", str(cfg.n_ubatch)]
    if cfg.n_cpu_moe:
        out += ["--n-cpu-moe", str(cfg.n_cpu_moe)]
    if threads:
        out += ["-t", str(threads)]
    return out


def server_argv(
    binary: Path, model: Path, flags: list[str], ctx: int, slots: int, port: int
) -> list[str]:
    return [
        str(binary), "-m", str(model), *flags, "-c", str(ctx), "-np", str(slots),
        "--cont-batching", "--no-webui", "--host", "127.0.0.1", "--port", str(port),
    ]  # fmt: skip


def _find_server(explicit: str | None) -> Path:
    found = _engines.find_llama_server(explicit)
    if found is None or not found[0].is_file():
        raise UserError(
            "no llama-server found (--llama-server, or beside the llama-bench rigbench uses)",
            hint="build it with llama-bench: bench engines build",
        )
    return found[0]


def _target(req: ServeRequest, host: probe.HostProfile, log: Callable[[str], None]) -> Target:
    sweep_req = SweepRequest(model=req.model, ctx=req.ctx, offline=req.offline, host=host)
    targets, _ = choose_targets(sweep_req, host, None, log, None)
    return targets[0]


def run_serve(
    req: ServeRequest, log: Callable[[str], None] = lambda _: None, work: Path | None = None
) -> ServeOutcome:
    """Plan, start llama-server, measure every (users, prompt) level, stop it.

    Raises:
        UserError: no llama-server, a model that cannot be resolved, or a server that never
            became healthy (with its log tail).
    """
    import tempfile

    binary = _find_server(req.llama_server)
    host = req.host or host_profile(False, log)
    target = _target(req, host, log)
    info = _engines.inspect_llama_bench(binary, "llama-server", kind="llama-server")
    backend = info.backends[-1] if info.backends else "cpu"
    fit = best_fit(target.spec, MemConfig(n_ctx=req.ctx), budget(host, backend))
    flags = server_flags(fit.cfg, req.threads)
    slots = max(req.users)
    base = RunConfig(
        n_gpu_layers=fit.cfg.n_gpu_layers, n_cpu_moe=fit.cfg.n_cpu_moe, n_threads=req.threads
    )
    prediction = predict_serving(
        target.spec, host, base, req.ctx, list(req.users), list(req.prompts), req.n_gen,
        stored_calibrations(req.db, host), backend,
    )  # fmt: skip
    vocab = normal_token_ids(target.path, target.spec.n_vocab)
    port = free_port()
    argv = server_argv(binary, target.path, flags, req.ctx, slots, port)
    log(f"serve: {target.label}, {fit.description}; {' '.join(argv[1:])}")
    levels: list[LevelResult] = []
    run = {"model": target.facts, "engine": dataclasses.asdict(info), "argv": argv}
    rows: list[dict[str, Any]] = []
    bb_error: str | None = None
    with contextlib.ExitStack() as stack:
        record = stack.enter_context(recording(req, host, run, prediction))
        tmp = work or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        log_path = tmp / "llama-server.log"
        with contextlib.ExitStack() as server:  # stopped before llama-batched-bench loads
            try:
                server.enter_context(running_server(argv, port, log_path))
            except ServerFailed as exc:
                raise UserError(f"{exc}; its log ends:\n{exc.log_tail}", hint=_hint(fit)) from exc
            meter = probe.energy_meter()
            for p in req.prompts:
                for n in req.users:
                    levels.append(_measure(req, port, n, p, vocab, prediction, meter, log))
                    record.level(levels[-1])
        bb = _engines.find_batched_bench(binary)
        if req.batched_bench and bb is not None:
            log("llama-batched-bench: the engine-side ceiling")
            rows, bb_error = run_batched_bench(
                batched_bench_argv(bb, target.path, flags, req.ctx, req),
                req.request_timeout_s,
                expected_rows(req),
            )
        elif req.batched_bench:
            bb_error = "llama-batched-bench not found beside llama-server (bench engines build)"
        if req.batched_bench:
            record.batched_bench(rows, bb_error)
    failed = [lv for lv in levels if lv.failed]
    return ServeOutcome(
        model=target.facts,
        server_argv=tuple(argv),
        levels=tuple(levels),
        prediction=prediction,
        batched_bench=tuple(rows),
        batched_bench_error=bb_error,
        price_kwh=req.price_kwh,
        exit_status=2 if failed else 0,
        reason=f"{len(failed)} level(s) had failed requests" if failed else None,
        engine=dataclasses.asdict(info),
    )


def _hint(fit: Any) -> str:
    return (
        f"the plan was: {fit.description}; try a smaller --ctx or fewer --users, and check the "
        "log above for 'out of memory' or 'failed to load'"
    )


def _measure(
    req: ServeRequest,
    port: int,
    users: int,
    n_prompt: int,
    vocab: list[int],
    prediction: ServingPrediction,
    meter: probe.EnergyMeter,
    log: Callable[[str], None],
) -> LevelResult:
    predicted = prediction.level(users, n_prompt)
    if predicted is not None and not predicted.fits_slot:
        rule = (
            f"prompt {n_prompt} + gen {req.n_gen} exceed a slot's "
            f"{prediction.memory.ctx_per_slot} tokens (-c {req.ctx} / -np {max(req.users)})"
        )
        log(f"skip: {users} users, prompt {n_prompt}: {rule}")
        return LevelResult(users, n_prompt, req.n_gen, 0.0, (), {}, skipped=rule)
    meter.start()
    wall, records = drive_level(
        port, users, n_prompt, req.n_gen, vocab, req.duration_s, req.max_requests,
        req.request_timeout_s, seed=n_prompt,
    )  # fmt: skip
    energy = dataclasses.asdict(meter.stop())
    level = LevelResult(users, n_prompt, req.n_gen, wall, tuple(records), energy)
    s = level.stats(req.price_kwh)
    log(
        f"{users} users, prompt {n_prompt}: {s['requests']} requests, TTFT p50 "
        f"{_ms(s['ttft_p50_s'])}, {_num(s['per_user_tokens_per_s'])} tok/s per user, "
        f"{_num(s['aggregate_tokens_per_s'])} tok/s in all, {s['errors']} errors"
    )
    return level


def _ms(v: float | None) -> str:
    return "NA" if v is None else f"{v * 1e3:.0f} ms"


def _num(v: float | None) -> str:
    return "NA" if v is None else f"{v:.1f}"


def outcome_to_dict(o: ServeOutcome) -> dict[str, Any]:
    """The JSON form of ``bench serve`` (schema-versioned; raw requests kept verbatim)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "exit_status": o.exit_status,
        "reason": o.reason,
        "model": o.model,
        "engine": o.engine,
        "server_argv": list(o.server_argv),
        "price_kwh": o.price_kwh,
        "prediction": o.prediction.to_dict(),
        "levels": [
            {
                **{k: v for k, v in dataclasses.asdict(lv).items() if k != "requests"},
                "stats": lv.stats(o.price_kwh) if lv.skipped is None else None,
                "requests": [dataclasses.asdict(r) for r in lv.requests],
            }
            for lv in o.levels
        ],
        "batched_bench": list(o.batched_bench),
        "batched_bench_error": o.batched_bench_error,
    }

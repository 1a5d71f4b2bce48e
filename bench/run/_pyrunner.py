"""llama-cpp-python as a benchmark engine, following llama-bench's test procedure.

Run as ``python -m bench.run._pyrunner '<json config>'`` (one process per model load, like every
risky sweep point); prints one JSON record per test on stdout, with llama-bench's field names
(``n_prompt``, ``n_gen``, ``n_depth``, ``avg_ns``, ``samples_ns``, ``avg_ts`` …).

Procedure (llama.cpp tools/llama-bench/llama-bench.cpp, 2025-2026): one warm-up, then per
repetition clear the KV cache, prefill ``n_depth`` tokens untimed, then time a prompt of
``n_prompt`` random tokens decoded in ``n_batch`` chunks, or ``n_gen`` single-token decodes.
"""

from __future__ import annotations

import ctypes
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import asdict
from typing import Any

from bench.predictor import parse_load_log

_QUIET: Any = None
KV_TYPES = {"f32": 0, "f16": 1, "q4_0": 2, "q4_1": 3, "q5_0": 6, "q5_1": 7, "q8_0": 8, "bf16": 30}


def _decode(lib: Any, ctx: Any, tokens: list[int]) -> None:
    arr = (lib.llama_token * len(tokens))(*tokens)
    rc = lib.llama_decode(ctx, lib.llama_batch_get_one(arr, len(tokens)))
    if rc != 0:
        raise RuntimeError(f"llama_decode returned {rc}")


def _prompt(lib: Any, ctx: Any, n: int, n_batch: int, n_vocab: int, bos: int) -> None:
    done = 0
    while done < n:
        chunk = min(n_batch, n - done)
        tokens = [random.randrange(n_vocab) for _ in range(chunk)]
        if done == 0 and bos >= 0:
            tokens[0] = bos
        _decode(lib, ctx, tokens)
        done += chunk
    lib.llama_synchronize(ctx)


def _gen(lib: Any, ctx: Any, n: int, n_vocab: int, bos: int) -> None:
    token = bos if bos >= 0 else random.randrange(n_vocab)
    for _ in range(n):
        _decode(lib, ctx, [token])
        lib.llama_synchronize(ctx)
        token = random.randrange(n_vocab)


def _load(lib: Any, cfg: dict[str, Any], n_ctx: int) -> Any:
    return lib.Llama(
        model_path=cfg["model"],
        n_gpu_layers=cfg.get("n_gpu_layers", 99),
        n_ctx=n_ctx,
        n_batch=cfg.get("n_batch", 2048),
        n_ubatch=cfg.get("n_ubatch", 512),
        n_threads=cfg["n_threads"],
        n_threads_batch=cfg["n_threads"],
        type_k=KV_TYPES[cfg.get("type_k", "f16")],
        type_v=KV_TYPES[cfg.get("type_v", "f16")],
        use_mmap=cfg.get("use_mmap", True),
        # llama-cpp-python 0.3.36 maps this bool to LLAMA_FLASH_ATTN_TYPE_ENABLED/DISABLED;
        # llama-bench's "auto" (-1) has no equivalent, so callers pass 0 or 1 to both engines.
        flash_attn=cfg.get("flash_attn", 0) == 1,
        verbose=True,  # its log goes to the file run() points stderr at
    )


def run(cfg: dict[str, Any]) -> list[dict[str, Any]]:
    import llama_cpp as lib

    tests = cfg["tests"]  # [{"n_prompt":..,"n_gen":..,"n_depth":..}]
    n_ctx = max(t["n_depth"] + t["n_prompt"] + t["n_gen"] for t in tests)
    t0 = time.perf_counter()
    # Load with llama.cpp's log on, into a file: its buffer lines are the engine's own memory
    # breakdown (model, KV, compute, output per buffer type), recorded beside the speeds.
    with tempfile.TemporaryFile(mode="w+b") as log:
        saved = os.dup(2)
        os.dup2(log.fileno(), 2)
        try:
            llm = _load(lib, cfg, n_ctx)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        load_s = time.perf_counter() - t0
        log.seek(0)
        breakdown = asdict(parse_load_log(log.read().decode("utf-8", "replace")))
    global _QUIET  # the C side keeps only a pointer: the callback must outlive every call
    _QUIET = lib.llama_log_callback(lambda level, text, data: None)
    lib.llama_log_set(_QUIET, ctypes.c_void_p())
    ctx = llm.ctx
    vocab = lib.llama_model_get_vocab(llm.model)
    n_vocab = lib.llama_vocab_n_tokens(vocab)
    bos = lib.llama_vocab_bos(vocab)
    mem = lib.llama_get_memory(ctx)
    records = []
    for test in tests:
        n_prompt, n_gen, n_depth = test["n_prompt"], test["n_gen"], test["n_depth"]
        lib.llama_memory_clear(mem, True)
        if n_prompt:  # warm-up, as llama-bench does unless --no-warmup
            _prompt(
                lib,
                ctx,
                min(n_prompt, cfg.get("n_batch", 2048)),
                cfg.get("n_batch", 2048),
                n_vocab,
                bos,
            )
        if n_gen:
            _gen(lib, ctx, 1, n_vocab, bos)
        samples = []
        for _ in range(cfg.get("repetitions", 3)):
            lib.llama_memory_clear(mem, True)
            if n_depth:
                _prompt(lib, ctx, n_depth, cfg.get("n_batch", 2048), n_vocab, bos)
            start = time.perf_counter_ns()
            if n_prompt:
                _prompt(lib, ctx, n_prompt, cfg.get("n_batch", 2048), n_vocab, bos)
            if n_gen:
                _gen(lib, ctx, n_gen, n_vocab, bos)
            samples.append(time.perf_counter_ns() - start)
        n = n_prompt + n_gen
        ts = [n * 1e9 / s for s in samples]
        avg_ns = sum(samples) / len(samples)
        avg_ts = sum(ts) / len(ts)
        sd = (sum((x - avg_ts) ** 2 for x in ts) / (len(ts) - 1)) ** 0.5 if len(ts) > 1 else 0.0
        sd_ns = (
            (sum((x - avg_ns) ** 2 for x in samples) / (len(samples) - 1)) ** 0.5
            if len(samples) > 1
            else 0.0
        )
        records.append(
            {
                "engine": "llama-cpp-python",
                "engine_version": lib.__version__,
                "model_filename": cfg["model"],
                "n_threads": cfg["n_threads"],
                "n_batch": cfg.get("n_batch", 2048),
                "n_ubatch": cfg.get("n_ubatch", 512),
                "n_gpu_layers": cfg.get("n_gpu_layers", 99),
                "type_k": cfg.get("type_k", "f16"),
                "type_v": cfg.get("type_v", "f16"),
                "flash_attn": cfg.get("flash_attn", 0),
                "n_prompt": n_prompt,
                "n_gen": n_gen,
                "n_depth": n_depth,
                "load_s": load_s,
                "memory_breakdown": breakdown,
                "avg_ns": int(avg_ns),
                "stddev_ns": int(sd_ns),
                "avg_ts": avg_ts,
                "stddev_ts": sd,
                "samples_ns": samples,
                "samples_ts": ts,
            }
        )
    return records


def main(argv: list[str]) -> int:
    cfg = json.loads(argv[0])
    for record in run(cfg):
        print(json.dumps(record), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""`make bench` for hostile input (issue 12): the GGUF header reader on 100,000 mutated headers
and the model-spec layer on 20,000 mutated metadata sets.

Header inputs are the header of a real synthetic GGUF (tokenizer included) with 1 to 8 random
byte edits and a random truncation; each must parse or raise the project's GGUFError. The spec
inputs come from tests/test_hostile.py's fuzz_model_spec (counts, widths, head and expert
numbers replaced by hostile values of any GGUF type). A crash is any other exception; a hang is
an input over 2 s. Peak RSS is the process's, in this run. Writes out/bench-fuzz.json.
"""

from __future__ import annotations

import functools
import random
import resource
import sys
import time

from _goals import REPO, save, verdict

sys.path.insert(0, str(REPO))

from bench.model import GGUFError, SynthSpec, read_header, synthesize

# out/bench-fuzz.json schema history: 1 — first version.
SCHEMA_VERSION = 1
HEADER_INPUTS = 100_000
SPEC_INPUTS = 20_000
HANG_S = 2.0


def header_fuzz(n: int, seed: int) -> dict[str, object]:
    path = synthesize(
        SynthSpec(n_layer=2, n_embd=128, n_head=4, n_head_kv=2, n_ff=256, n_vocab=512, quant="Q8_0")
    ).path
    with path.open("rb") as f:
        base = f.read(64 * 1024)  # the header and the start of the data
    full = path.stat().st_size
    rng = random.Random(seed)
    crashes: list[str] = []
    parsed = refused = 0
    slowest = 0.0
    start = time.perf_counter()
    for _ in range(n):
        blob = bytearray(base)
        for _ in range(rng.randint(1, 8)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        # Half the inputs keep the real file size (edits only: most still parse, so the
        # checks on parsed values run too), half are also cut short.
        cut = rng.random() < 0.5
        sample = bytes(blob[: rng.randint(4, len(blob))]) if cut else bytes(blob)
        size = len(sample) if cut else full
        t0 = time.perf_counter()
        try:
            read_header(functools.partial(_slice, sample), size, "fuzz.gguf")
            parsed += 1
        except GGUFError:
            refused += 1
        except Exception as exc:  # what the fuzz looks for: any other exception is a crash
            crashes.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        slowest = max(slowest, time.perf_counter() - t0)
    return {
        "inputs": n,
        "parsed": parsed,
        "refused": refused,
        "crashes": len(crashes),
        "crash_examples": crashes[:5],
        "hangs": int(slowest > HANG_S),
        "slowest_s": slowest,
        "wall_s": time.perf_counter() - start,
    }


def _slice(data: bytes, offset: int, size: int) -> bytes:
    return data[offset : offset + size]


def main() -> int:
    from tests.test_hostile import fuzz_model_spec

    headers = header_fuzz(HEADER_INPUTS, seed=1)
    spec = fuzz_model_spec(SPEC_INPUTS, 1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    specs = {
        "inputs": SPEC_INPUTS,
        "specs": spec.specs,
        "refused": spec.refused,
        "crashes": len(spec.crashes),
        "crash_examples": spec.crashes[:5],
        "slowest_s": spec.max_seconds,
    }
    save(
        "fuzz",
        {
            "schema_version": SCHEMA_VERSION,
            "headers": headers,
            "model_spec": specs,
            "peak_rss_bytes": peak,
        },
    )
    print(
        f"info  headers: {headers['parsed']} parsed, {headers['refused']} refused, "
        f"slowest {headers['slowest_s']:.3f} s, {headers['wall_s']:.0f} s in all"
    )
    print(
        f"info  model spec: {spec.specs} specs, {spec.refused} refused, "
        f"slowest {spec.max_seconds:.3f} s"
    )
    return verdict(
        [
            (
                f"header reader, {HEADER_INPUTS:,} mutated headers: 0 crashes",
                headers["crashes"] == 0,
                f"{headers['crashes']} crashes",
            ),
            (
                "... no input over 2 s",
                headers["hangs"] == 0,
                f"slowest {headers['slowest_s']:.3f} s",
            ),
            (
                f"model spec, {SPEC_INPUTS:,} mutated metadata sets: 0 crashes",
                not spec.crashes,
                f"{len(spec.crashes)} crashes",
            ),
            (
                "... no input over 2 s",
                spec.max_seconds < HANG_S,
                f"slowest {spec.max_seconds:.3f} s",
            ),
            ("peak RSS of both runs < 500 MB", peak < 500e6, f"{peak / 1e6:.0f} MB"),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())

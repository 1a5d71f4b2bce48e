#!/usr/bin/env python3
"""`make bench` for the fleet (issue 16): merge 50 machines' bundles of 200 points each with
`report import` into one store, goal under 5 s; render the fleet report of 20 machines x 5
models x 8 tests with `report fleet` in every format, goal under 2 s each; its Markdown must
stay under 200 KiB (GitHub's step summary). Each command runs in a fresh process, start-up
included. The bundles are written by the real export path (`report export`'s library call).
Writes out/bench-fleet.json."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _goals import REPO, save, verdict

sys.path.insert(0, str(REPO))

import probe
from bench import Measurement, Prediction, RunConfig, SpeedPrediction, Store
from report import _bundle

# 1: first version
SCHEMA_VERSION = 1
FORMATS = ("text", "md", "html", "json")


def machine(host: probe.HostProfile, i: int) -> probe.HostProfile:
    """Machine ``i`` of the fleet: this host with (16 + i) GiB of memory, so that each has its
    own fingerprint (CPU, memory size, GPUs and architecture)."""
    assert host.memory is not None
    memory = dataclasses.replace(host.memory, total_bytes=(16 + i) * 2**30)
    return dataclasses.replace(host, memory=memory, hostname=f"node-{i:02d}")


def configs(n_tests: int) -> list[RunConfig]:
    """``n_tests`` tests: pp512 and tg128 at growing depths."""
    out = []
    for j in range(n_tests):
        pp = j % 2 == 0
        out.append(
            RunConfig(n_prompt=512 if pp else 0, n_gen=0 if pp else 128, n_depth=(j // 2) * 4096)
        )
    return out


def add_sweeps(
    store: Store, host: probe.HostProfile, n_models: int, tests: list[RunConfig]
) -> None:
    """One finished sweep per model of ``host``, every test measured (a few failed: oom)."""
    fp = store.add_host(host)
    for m in range(n_models):
        model = {"repo": f"bench-org/model-{m}-GGUF", "quant": "Q4_K_M", "file": f"m{m}.gguf"}
        engine = {"kind": "llama-bench", "version": "x", "backend": "cpu"}
        sid = store.start_sweep(fp, model, None, engine, {"repetitions": 3}, f"k{m}")
        for n, cfg in enumerate(tests):
            tps = 100.0 + (n * 7 + m * 13) % 37
            pred = SpeedPrediction(
                tps * 1.1, tps * 0.9, 1, "compute", "weights", tps * 2, tps * 2, {}, {}, "cpu", 0
            )
            if (n * 5 + m) % 23 == 22:
                meas = Measurement("failed", failure_class="oom", returncode=1, stderr_tail="oom")
            else:
                meas = Measurement(
                    "ok", avg_ts=tps, stddev_ts=1.0, samples_ns=(10**9,) * 3, peak_rss_bytes=2**30
                )
            store.add_point(sid, f"p{n}", cfg, Prediction(pred, totals_bytes=(2**30,)), meas)
        store.finish_sweep(sid, "done")


def write_bundles(tmp: Path, host: probe.HostProfile, n: int, points: int) -> list[Path]:
    """``n`` machines' bundles of one ``points``-point sweep each, through ``report export``'s
    own library call."""
    tests = [
        dataclasses.replace(cfg, n_ubatch=ub)
        for cfg in configs(points // 4)
        for ub in (128, 256, 512, 1024)
    ]
    files = []
    for i in range(n):
        db = tmp / f"machine-{i:02d}.db"
        store = Store.open(db)
        add_sweeps(store, machine(host, i), 1, tests)
        data = _bundle.export(store, None, f"runner-{i:02d}")
        store.close()
        path = tmp / f"runner-{i:02d}{_bundle.SUFFIX}"
        path.write_text(_bundle.dumps(data))
        files.append(path)
    return files


def timed(*args: str) -> float:
    """Seconds of one `report` command in its own process; its output kept only on failure."""
    start = time.perf_counter()
    report = str(Path(sys.executable).parent / "report")
    done = subprocess.run([report, *args], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"report {' '.join(args[:2])} failed:\n{done.stderr}")
    return time.perf_counter() - start


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="rigbench-bench-fleet-"))
    host = probe.detect()
    n_bundles, n_points = 50, 200
    (tmp / "bundles").mkdir()
    bundles = write_bundles(tmp / "bundles", host, n_bundles, n_points)
    merge_s = timed("import", *map(str, bundles), "--db", str(tmp / "merged.db"))

    n_machines, n_models, n_tests = 20, 5, 8
    fleet_db = tmp / "fleet.db"
    store = Store.open(fleet_db)
    for i in range(n_machines):
        add_sweeps(store, machine(host, i), n_models, configs(n_tests))
    store.close()
    times = {
        fmt: timed("fleet", "--db", str(fleet_db), "--format", fmt, "-o", str(tmp / f"f.{fmt}"))
        for fmt in FORMATS
    }
    md_bytes = (tmp / "f.md").stat().st_size
    # The figures count only if the report holds the whole fleet.
    assert len(json.loads((tmp / "f.json").read_text())["machines"]) == n_machines
    result = {
        "schema_version": SCHEMA_VERSION,
        "bundles": n_bundles,
        "points_per_bundle": n_points,
        "merge_seconds": merge_s,
        "fleet": {"machines": n_machines, "models": n_models, "tests": n_tests},
        "fleet_seconds": times,
        "md_bytes": md_bytes,
    }
    save("fleet", result)
    shape = f"{n_machines} machines x {n_models} models x {n_tests} tests"
    return verdict(
        [
            (
                f"merge {n_bundles} bundles x {n_points} points in < 5 s",
                merge_s < 5,
                f"{merge_s:.2f} s",
            ),
            (
                f"fleet report of {shape} in < 2 s",
                max(times.values()) < 2,
                ", ".join(f"{k} {v:.2f} s" for k, v in times.items()),
            ),
            ("fleet Markdown < 200 KiB", md_bytes < 200 * 1024, f"{md_bytes / 1024:.0f} KiB"),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())

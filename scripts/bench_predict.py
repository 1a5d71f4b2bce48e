#!/usr/bin/env python3
"""`make bench` for the speed predictor (issue 5).

1. Sweep a 250M Q4_K_M synthetic model with llama-bench over depth and ubatch; fit this host's
   calibration on it.
2. Predict two other models — 500M Q8_0 (dense) and a ~900M qwen3moe Q4_K_M — with and without
   that calibration, and measure them in the same run, in rounds interleaved with step 1's.
3. The uncalibrated predictor on the published results in tests/fixtures/published/.

Goals: calibrated median |error| <= 10 % (tg) and <= 20 % (pp) on the new models; published:
aim for 15 % (tg) and 30 % (pp). Writes out/bench-predict.json.
"""

from __future__ import annotations

import dataclasses
import json
import math
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from _goals import REPO, save, verdict

sys.path.insert(0, str(REPO))

import probe
from bench import Axes, RunConfig, Store, SweepOptions
from bench.model import SynthSpec, load_local, parse_params, spec_for_params, synthesize
from bench.predictor import (
    budget,
    calibrate,
    compare_published,
    load_calibrations,
    median_abs_error,
    predict_speed,
)
from bench.run import find_llama_bench, inspect_llama_bench, sweep

# 1: first version; 2: medians null where no point of that kind was measured, and the
# validation points without a figure (points_lost) or failed in some rounds (rounds_failed);
# 3: each validation point's calibrated 80 % interval, and the share of points inside theirs
SCHEMA_VERSION = 3
ROUNDS = 3  # interleaved rounds of calibration and validation (main)

ORIGINAL = (
    "ik-llama-pr54-cpu.json",
    "llama-cpp-pr26284-rx7900xtx.json",
    "xiongjiedai-llama3.json",
)


def _pick(p: Any, kind: str) -> float:
    return float(p.pp_tokens_per_s if kind == "pp" else p.tg_tokens_per_s)


def _point_name(key: tuple[str, str]) -> str:
    """'500M Q8_0 pp@d1024' for a (model label, config JSON) key."""
    cfg = json.loads(key[1])
    return f"{key[0]} {'pp' if cfg.get('n_prompt') else 'tg'}@d{cfg.get('n_depth', 0)}"


def _nan_to_null(medians: dict[str, float]) -> dict[str, float | None]:
    """Medians as JSON holds them: None (null) where no point was measured (NaN)."""
    return {k: None if math.isnan(v) else v for k, v in medians.items()}


def _median(values: list[float]) -> float:
    """The median, or NaN when no point was measured (every goal on NaN fails)."""
    return statistics.median(values) if values else math.nan


def main() -> int:
    found = find_llama_bench()
    if found is None:
        print("llama-bench not found: run `make install` first", file=sys.stderr)
        return 1
    info = {**dataclasses.asdict(inspect_llama_bench(*found)), "backend": "cpu"}
    host = probe.detect(measure=True)
    cores = host.cpu.physical_cores if host.cpu and host.cpu.physical_cores else 1
    tmp = Path(tempfile.mkdtemp(prefix="rigbench-bench-predict-"))
    store = Store.open(tmp / "calibration.db")
    fp = store.add_host(host)
    b = budget(host)
    base_path = synthesize(spec_for_params(parse_params("250M"), quant="Q4_K_M")).path
    base = load_local(base_path)
    # All cores, as the validation runs and as users run; fewer threads would mix in the
    # per-core streaming limit, which the calibration does not fit.
    axes = Axes(
        n_prompt=[512],
        n_gen=[64],
        n_depth=[0, 512, 1024, 2048],
        n_ubatch=[128, 512],
        n_threads=[cores],
    )
    targets = {
        "500M Q8_0": spec_for_params(parse_params("500M"), quant="Q8_0"),
        # 179 MB of weights read a token, more than a runner's cache holds, as a real MoE's
        # are: the twin before it (12 x 768, experts of 1024: 67 MB a token) partly ran from
        # the cache. Stop 35's runner (a 2-core Xeon VM, llama-bench tg64 at 2 threads,
        # bytes a token x tokens/s, medians of 2-6 runs): dense Q4_K_M twins reading 29-61 MB
        # a token 21-22 GB/s, 135-278 MB 11.4-12.4; the old MoE twin 14.5, this one 11.9.
        # Calibrated on the 250M dense twin, the old one was predicted 19-37 % under.
        "qwen3moe Q4_K_M": SynthSpec(
            arch="qwen3moe",
            n_layer=16,
            n_embd=1024,
            n_head=16,
            n_head_kv=4,
            n_ff=0,
            n_expert=8,
            n_expert_used=2,
            n_ff_exp=2048,
            quant="Q4_K_M",
        ),
    }
    check = Axes(n_prompt=[512], n_gen=[64], n_depth=[0, 1024], n_threads=[cores])
    rows: list[dict[str, Any]] = []
    failed: dict[tuple[str, str], list[str]] = {}  # validation points' failed rounds, and why
    # The calibration model and the new models are measured in interleaved rounds, the
    # calibration fitted on every round's points and each new point's median kept: this shared
    # 2-core machine drifts by up to 15 % within minutes (the same point, rounds apart), and a
    # calibration timed in one block before the validation carried that drift into every
    # calibrated prediction (stop 24: 500M tg fine, the MoE model 22-27 % under, in one run).
    measured: dict[tuple[str, str], list[float]] = {}
    specs = {label: load_local(synthesize(spec).path) for label, spec in targets.items()}
    n_points = len(axes.points(cores))
    for round_ in range(ROUNDS):
        print(f"round {round_ + 1}/{ROUNDS}: {base_path.name}, {n_points} points", file=sys.stderr)
        sweep(
            store,
            host,
            fp,
            base,
            base_path,
            {"file": base_path.name},
            axes,
            SweepOptions(repetitions=1),
            info,
            b,
        )
        vstore = Store.open(tmp / f"validation-{round_}.db")
        vfp = vstore.add_host(host)
        for label, mspec in specs.items():
            path = synthesize(targets[label]).path
            s = sweep(
                vstore,
                host,
                vfp,
                mspec,
                path,
                {"file": path.name},
                check,
                SweepOptions(repetitions=3),
                info,
                b,
            )
            for pt in s.points:
                key = (label, json.dumps(dataclasses.asdict(pt.config), sort_keys=True))
                if pt.measurement.status == "ok" and pt.measurement.avg_ts is not None:
                    measured.setdefault(key, []).append(pt.measurement.avg_ts)
                else:
                    m = pt.measurement
                    failed.setdefault(key, []).append(f"{m.status} ({m.why or 'no figure'})")
    fit = calibrate(store, host, fp, "cpu")
    cal = load_calibrations(store, fp)
    print(f"calibration: {fit.calibration}", file=sys.stderr)
    for w in fit.warnings:
        print(f"warning: {w}", file=sys.stderr)
    for (label, config_json), values in measured.items():
        cfg = RunConfig(**json.loads(config_json))
        kind = "pp" if cfg.n_prompt else "tg"
        raw = predict_speed(specs[label], host, cfg)
        calibrated = predict_speed(specs[label], host, cfg, cal)
        rows.append(
            {
                "model": label,
                "test": f"{kind}@d{cfg.n_depth}",
                "kind": kind,
                "measured": statistics.median(values),
                "rounds": values,
                "calibrated": _pick(calibrated, kind),
                "calibrated_interval": (
                    calibrated.pp_interval_tokens_per_s
                    if kind == "pp"
                    else calibrated.tg_interval_tokens_per_s
                ),
                "uncalibrated": _pick(raw, kind),
            }
        )
    for r in rows:
        r["error"] = r["calibrated"] / r["measured"] - 1
        r["error_uncalibrated"] = r["uncalibrated"] / r["measured"] - 1
        band = r["calibrated_interval"]
        r["inside_interval"] = band[0] <= r["measured"] <= band[1] if band else None
    banded = [r for r in rows if r["calibrated_interval"]]
    coverage = sum(r["inside_interval"] for r in banded) / len(banded) if banded else None
    # a point that failed every round has no row: said here, and failed as a goal below; one
    # that failed some rounds keeps the median of the others, and is said too
    lost = {_point_name(k): w for k, w in failed.items() if k not in measured}
    flaky = {_point_name(k): w for k, w in failed.items() if k in measured}
    for what, group in (("without a figure", lost), ("failed in some rounds", flaky)):
        if group:
            print(
                f"warning: validation points {what}: "
                + "; ".join(f"{k}: {', '.join(sorted(set(w)))}" for k, w in sorted(group.items())),
                file=sys.stderr,
            )
    med = {k: _median([abs(r["error"]) for r in rows if r["kind"] == k]) for k in ("tg", "pp")}
    med_raw = {
        k: _median([abs(r["error_uncalibrated"]) for r in rows if r["kind"] == k])
        for k in ("tg", "pp")
    }
    # The three files this goal was set on; the whole folder is judged fairly (each machine
    # held out from the fit of the priors) by scripts/bench_lomo.py.
    published = compare_published(REPO / "tests" / "fixtures" / "published", ORIGINAL)
    pub = {k: median_abs_error(published, k) for k in ("tg", "pp")}
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "calibration": dataclasses.asdict(fit.calibration),
        "validation": rows,
        # null where no point of that kind was measured
        "median_abs_error": _nan_to_null(med),
        "median_abs_error_uncalibrated": _nan_to_null(med_raw),
        # the share of validation points inside their calibrated 80 % interval (8 points: a
        # figure to watch across runs, not a goal)
        "calibrated_interval_coverage": coverage,
        "points_lost": sorted(lost),
        "rounds_failed": {k: len(w) for k, w in sorted(flaky.items())},
        "published": {
            "machines": len({c.machine for c in published}),
            "median_abs_error": pub,
            "rows": [dataclasses.asdict(c) | {"error": c.error} for c in published],
        },
    }
    save("predict", out)
    for r in rows:
        print(
            f"info  {r['model']:16s} {r['test']:9s} measured {r['measured']:7.1f}  "
            f"calibrated {r['calibrated']:7.1f} ({r['error']:+.1%})  "
            f"uncalibrated {r['uncalibrated']:7.1f} ({r['error_uncalibrated']:+.1%})"
        )
    if coverage is not None:
        print(f"info  inside their calibrated 80 % interval: {coverage:.0%} of {len(banded)}")
    goals = [
        (
            "every validation point measured (in some round)",
            not lost,
            f"{len(rows)} of {len(rows) + len(lost)} points",
        ),
        (
            "tg, calibrated, new shapes: median |error| <= 10 %",
            med["tg"] <= 0.10,
            f"{med['tg']:.1%} (uncalibrated {med_raw['tg']:.1%})",
        ),
        (
            "pp, calibrated, new shapes: median |error| <= 20 %",
            med["pp"] <= 0.20,
            f"{med['pp']:.1%} (uncalibrated {med_raw['pp']:.1%})",
        ),
        (
            "tg, uncalibrated, 3 original published files: <= 15 %",
            pub["tg"] <= 0.15,
            f"{pub['tg']:.1%} on {out['published']['machines']} machines",
        ),
        (
            "pp, uncalibrated, 3 original published files: <= 30 %",
            pub["pp"] <= 0.30,
            f"{pub['pp']:.1%} (in-sample since the priors; bench_lomo judges held out)",
        ),
    ]
    return verdict(goals)


if __name__ == "__main__":
    sys.exit(main())

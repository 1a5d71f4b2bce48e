"""Published llama-bench results (tests/fixtures/published/*.json) against the predictor."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

import probe
from bench.model import spec_from_shape
from bench.predictor._speed import predict_speed
from bench.records import RunConfig


@dataclass(frozen=True, slots=True)
class Comparison:
    source: str
    machine: str
    test: str
    measured: float
    predicted: float

    @property
    def error(self) -> float:
        return (self.predicted - self.measured) / self.measured


def compare_published(folder: Path) -> list[Comparison]:
    out = []
    for f in sorted(folder.glob("*.json")):
        data = json.loads(f.read_text())
        for r in data["results"]:
            host = probe.load_host(r["machine"])
            spec = spec_from_shape(r["shape"], r["quant"])
            cfg = RunConfig(
                n_prompt=r["n_prompt"],
                n_gen=r["n_gen"],
                n_depth=r.get("n_depth", 0),
                n_threads=r.get("threads") or 0,
            )
            p = predict_speed(spec, host, cfg)
            kind = "pp" if r["n_prompt"] else "tg"
            test = f"{r['shape']} {r['quant']} {kind}{r['n_prompt'] or r['n_gen']}"
            if r.get("n_depth"):
                test += f"@d{r['n_depth']}"
            out.append(
                Comparison(
                    f.stem,
                    r["machine"],
                    test,
                    r["tokens_per_s"],
                    p.pp_tokens_per_s if kind == "pp" else p.tg_tokens_per_s,
                )
            )
    return out


def median_abs_error(rows: list[Comparison], kind: str) -> float:
    errs = [abs(c.error) for c in rows if f" {kind}" in c.test]
    return statistics.median(errs) if errs else float("nan")

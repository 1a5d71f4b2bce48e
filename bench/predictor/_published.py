"""Published llama-bench results (tests/fixtures/published/*.json) against the predictor."""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import probe
from bench.model import ModelSpec, spec_from_shape
from bench.predictor._speed import predict_speed
from bench.records import RunConfig
from probe import HostProfile

DEFAULT = RunConfig()  # llama-bench's defaults, for rows that do not print a field


@dataclass(frozen=True, slots=True)
class Comparison:
    source: str
    machine: str
    test: str
    measured: float
    predicted: float
    backend: str | None = None  # the row's llama.cpp backend; None: the host's own

    @property
    def error(self) -> float:
        return (self.predicted - self.measured) / self.measured


@dataclass(frozen=True, slots=True)
class PublishedRow:
    """One published llama-bench result, with the machine, model and point it was measured on."""

    source: str
    machine: str
    backend: str | None  # as published; None: the machine's own
    host: HostProfile
    spec: ModelSpec
    cfg: RunConfig
    kind: str  # pp | tg
    measured: float  # tokens/s
    test: str
    measured_on: str = ""  # YYYY-MM of the llama.cpp build (or of the post, if none is named)
    # a GPU run whose host is not the catalog machine's desktop: a single-board computer over
    # a one-lane PCIe link (Raspberry Pi 5/CM5, a RISC-V board). The host's CPU and link are
    # not modelled, so these rows are a machine of their own and judge nothing.
    host_board: str | None = None
    # the llama.cpp change that replaced the kernels this row measured (a PR's own 'master'
    # column, timed just before the PR rewrote that path): history, not today's llama.cpp
    superseded_by: str | None = None


def published_rows(folder: Path, files: Iterable[str] | None = None) -> list[PublishedRow]:
    """Every result row of the folder's files (or of the named ``files`` only)."""
    paths = [folder / f for f in files] if files is not None else sorted(folder.glob("*.json"))
    out = []
    hosts: dict[str, HostProfile] = {}  # rows repeat machines and shapes: each built once
    specs: dict[tuple[str, str], ModelSpec] = {}
    for f in paths:
        data = json.loads(f.read_text())
        for r in data["results"]:
            month = r.get("measured") or data.get("measured", "")
            if not re.fullmatch(r"(?:19|20)\d\d-(?:0[1-9]|1[0-2])", month):
                raise ValueError(f"{f.name}: a row without its build month (measured: YYYY-MM)")
            fa = r.get("fa")
            cfg = RunConfig(
                n_prompt=r["n_prompt"],
                n_gen=r["n_gen"],
                n_depth=r.get("n_depth") or 0,
                n_ubatch=r.get("n_ubatch") or DEFAULT.n_ubatch,
                n_threads=r.get("threads") or 0,
                flash_attn=DEFAULT.flash_attn if fa is None else bool(fa),
            )
            kind = "pp" if r["n_prompt"] else "tg"
            test = f"{r['shape']} {r['quant']} {kind}{r['n_prompt'] or r['n_gen']}"
            if r.get("n_depth"):
                test += f"@d{r['n_depth']}"
            if r.get("n_ubatch"):
                test += f" ub{r['n_ubatch']}"
            if r["machine"] not in hosts:
                hosts[r["machine"]] = probe.load_host(r["machine"])
            if (r["shape"], r["quant"]) not in specs:
                specs[r["shape"], r["quant"]] = spec_from_shape(r["shape"], r["quant"])
            host, spec = hosts[r["machine"]], specs[r["shape"], r["quant"]]
            board = r.get("host_board")
            if board is not None and not (
                isinstance(board, str) and re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", board)
            ):
                raise ValueError(f"{f.name}: host_board {board!r} is not a short lowercase name")
            if board is not None and r.get("backend") == "cpu":
                raise ValueError(f"{f.name}: host_board on a CPU row (it names a GPU's host)")
            gone = r.get("superseded_by")
            if gone is not None and not (
                isinstance(gone, str) and 0 < len(gone) <= 200 and gone.isprintable()
            ):
                raise ValueError(f"{f.name}: superseded_by must name the change (1-200 characters)")
            row = PublishedRow(
                f.stem, r["machine"], r.get("backend"), host, spec, cfg, kind,
                float(r["tokens_per_s"]), test, month, board, gone,
            )  # fmt: skip
            out.append(row)
    return out


def compare_published(folder: Path, files: Iterable[str] | None = None) -> list[Comparison]:
    """Every result row of the folder's files (or of the named ``files`` only) against the
    uncalibrated prediction for its machine, model, test, microbatch and backend."""
    out = []
    for r in published_rows(folder, files):
        p = predict_speed(r.spec, r.host, r.cfg, None, backend=r.backend)
        predicted = p.pp_tokens_per_s if r.kind == "pp" else p.tg_tokens_per_s
        out.append(Comparison(r.source, r.machine, r.test, r.measured, predicted, r.backend))
    return out


def median_abs_error(rows: list[Comparison], kind: str) -> float:
    errs = [abs(c.error) for c in rows if f" {kind}" in c.test]
    return statistics.median(errs) if errs else float("nan")

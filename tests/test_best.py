"""The best configuration for each objective, and the Pareto set, on a fixed store where
every objective has a different winner."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import probe
from bench import Measurement, Prediction, RunConfig, SpeedPrediction, Store
from bench import store as _store
from report import _best, _data
from report.cli import cli

# threads, ubatch -> (pp512, pp4096, tg128) tokens/s, peak GiB
CONFIGS = {
    (8, 256): (1000.0, 500.0, 20.0, 5),  # A: fastest short prompts
    (16, 256): (600.0, 450.0, 30.0, 5),  # B: fastest generation
    (12, 256): (900.0, 520.0, 28.0, 5),  # C: best balance
    (8, 1024): (800.0, 700.0, 18.0, 4),  # D: fastest long prompt (TTFT), least memory
    (4, 256): (500.0, 300.0, 15.0, 6),  # E: beaten on everything
}

Machine = Callable[..., Any]  # the conftest fixture: a recorded machine by name


@pytest.fixture
def rep(machine: Machine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> _data.Report:
    monkeypatch.setattr(_store, "now", lambda: "2026-11-21T12:00:00+00:00")
    db = tmp_path / "r.db"
    store = Store.open(db)
    fp = store.add_host(probe.detect(context=machine("x86-avx512-server")))
    model = {"repo": "t/m-GGUF", "quant": "Q4_K_M", "file": "m.gguf", "size_bytes": 2**30}
    sid = store.start_sweep(fp, model, None, {"kind": "llama-bench"}, {}, "k")
    speed = SpeedPrediction(1.0, 1.0, 1.0, "compute", "weights", 2.0, 2.0, {}, {}, "cpu", 0)
    n = 0
    for (t, ub), (pp512, pp4096, tg, gib) in CONFIGS.items():
        for prompt, gen, tps in ((512, 0, pp512), (4096, 0, pp4096), (0, 128, tg)):
            cfg = RunConfig(n_prompt=prompt, n_gen=gen, n_ubatch=ub, n_threads=t)
            m = Measurement("ok", avg_ts=tps, stddev_ts=0.1, peak_rss_bytes=gib * 2**30)
            store.add_point(sid, f"p{n}", cfg, Prediction(speed), m)
            n += 1
        # A deeper point is slower everywhere: it must not change any choice.
        cfg = RunConfig(n_prompt=0, n_gen=128, n_depth=8192, n_ubatch=ub, n_threads=t)
        m = Measurement("ok", avg_ts=tg / 2, stddev_ts=0.1, peak_rss_bytes=gib * 2**30)
        store.add_point(sid, f"p{n}", cfg, Prediction(speed), m)
        n += 1
    store.close()
    return _data.load(db)


@pytest.mark.parametrize(
    ("objective", "winner"),
    [("tg", (16, 256)), ("pp", (8, 256)), ("ttft", (8, 1024)), ("balanced", (12, 256))],
)
def test_each_objective_picks_its_winner(
    rep: _data.Report, objective: str, winner: tuple[int, int]
) -> None:
    best = _best.best(rep, objective)
    assert best is not None
    assert (best.cfg_row.cfg.n_threads, best.cfg_row.cfg.n_ubatch) == winner
    assert best.depth == 0
    cmd = _best.server_command(best)
    assert f"-t {winner[0]} -ub {winner[1]} " in cmd and cmd.startswith("llama-server -hf t/m")


def test_ttft_and_balanced_figures(rep: _data.Report) -> None:
    d = _best.best(rep, "ttft")
    assert d is not None and d.prompt_tokens == 4096
    assert d.ttft_s == pytest.approx(4096 / 700)
    c = _best.best(rep, "balanced")
    assert c is not None
    pool = _best.candidates(rep)
    assert _best.score(c, "balanced", pool) == pytest.approx((0.9 * 28 / 30) ** 0.5)


def test_pareto_set_leaves_out_the_beaten(rep: _data.Report) -> None:
    front = {(c.cfg_row.cfg.n_threads, c.cfg_row.cfg.n_ubatch) for c in _best.pareto(rep)}
    assert front == {(8, 256), (16, 256), (12, 256), (8, 1024)}


@pytest.mark.parametrize("objective", ["tg", "pp", "ttft", "balanced"])
def test_objective_is_stated_and_passed_through(
    rep: _data.Report, objective: str, tmp_path: Path
) -> None:
    db = Path(rep.db)
    res = CliRunner().invoke(cli, ["--db", str(db), "--format", "json", "--objective", objective])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["objective"] == objective and data["schema_version"] == _data.SCHEMA_VERSION
    assert len(data["pareto"]) == 4
    for fmt in ("md", "html"):
        res = CliRunner().invoke(cli, ["--db", str(db), "--format", fmt, "--objective", objective])
        assert f"objective: {objective}" in res.stdout
        assert data["best"]["server_command"] in res.stdout
    default = CliRunner().invoke(cli, ["--db", str(db), "--format", "md"]).stdout
    assert f"objective: {_best.DEFAULT_OBJECTIVE} (the default)" in default

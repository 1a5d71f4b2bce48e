"""The report: golden Markdown and text, HTML rendered in headless Chromium, JSON, compare,
gate, import, and bad input."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import probe
from bench import Measurement, Prediction, RunConfig, SpeedPrediction, Store
from bench import store as _store
from bench.records import SPEED_PREDICTOR_VERSION
from report import _compare
from report.cli import cli
from tests._browser import browse

GOLDEN = Path(__file__).parent / "fixtures" / "report"
UPDATE = os.environ.get("RIGBENCH_UPDATE_GOLDEN") == "1"


def _pred(pp: float, tg: float, band: float | None = None) -> Prediction:
    s = SpeedPrediction(pp, tg, 1.0, "compute", "weights", pp * 2, tg * 1.5, {}, {}, "cpu", 0)
    if band:  # an 80 % interval of +-band around the generation rate
        s = dataclasses.replace(s, tg_interval_tokens_per_s=(tg * (1 - band), tg * (1 + band)))
    return Prediction(s, totals_bytes=(300 * 2**20,))


def _ok_point(
    store: Store, sid: int, pid: str, cfg: RunConfig, meas: float, pred: Prediction
) -> None:
    """One measured point, with three samples around `meas` tokens/s."""
    tokens = cfg.n_prompt + cfg.n_gen
    m = Measurement(
        "ok",
        avg_ts=meas,
        stddev_ts=meas * 0.01,
        samples_ns=tuple(int(tokens * 1e9 / (meas * f)) for f in (0.99, 1.0, 1.01)),
        peak_rss_bytes=(280 + cfg.n_depth // 64) * 2**20,
    )
    store.add_point(sid, pid, cfg, pred, m)


def make_db(
    path: Path,
    machine,
    monkeypatch: pytest.MonkeyPatch,
    speed: float = 1.0,  # type: ignore[no-untyped-def]
    sweeps: int = 1,
) -> Path:
    """A store with deterministic sweeps of a recorded machine (no engine run)."""
    monkeypatch.setattr(_store, "now", lambda: "2026-11-21T12:00:00+00:00")
    store = Store.open(path)
    host = probe.detect(context=machine("x86-avx512-server"))
    fp = store.add_host(host)
    for n in range(sweeps):
        model = {
            "repo": "rigbench-test/synth-llama-GGUF",
            "quant": ["Q4_K_M", "Q8_0"][n % 2],
            "file": "m.gguf",
            "size_bytes": [150, 250][n % 2] * 2**20,
        }
        engine = {"kind": "llama-bench", "version": "0.5.0-dev", "build_commit": "0c1e570"}
        sid = store.start_sweep(fp, model, None, engine, {}, f"k{n}")
        ids = iter(range(100))
        scale = speed * (1 - 0.3 * n)
        for depth in (0, 1024):
            for ub in (128, 512):
                cfg = RunConfig(n_prompt=512, n_gen=0, n_depth=depth, n_ubatch=ub, n_threads=16)
                _ok_point(
                    store,
                    sid,
                    f"p{next(ids)}",
                    cfg,
                    (400 - depth / 10 + ub / 10) * scale,
                    _pred(380 - depth / 8, 0),
                )
            cfg = RunConfig(n_prompt=0, n_gen=128, n_depth=depth, n_threads=16)
            _ok_point(
                store,
                sid,
                f"p{next(ids)}",
                cfg,
                (50 - depth / 200) * scale,
                _pred(0, 48 - depth / 250, band=0.1),
            )
        cfg = RunConfig(n_prompt=0, n_gen=128, n_depth=65536, n_threads=16)
        failed = Measurement("failed", failure_class="oom", stderr_tail="failed to allocate")
        store.add_point(sid, "oom", cfg, _pred(0, 20), failed)
        cfg = RunConfig(n_prompt=0, n_gen=128, n_depth=999999, n_threads=16)
        skipped = Measurement("skipped", skip_rule="predicted memory exceeds the device budget")
        store.add_point(sid, "skip", cfg, _pred(0, 1), skipped)
    store.close()
    return path


def _golden(name: str, text: str) -> None:
    f = GOLDEN / name
    if UPDATE or not f.exists():
        f.write_text(text)
    assert text == f.read_text()


def test_markdown_golden(machine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    db = make_db(tmp_path / "r.db", machine, monkeypatch)
    res = CliRunner().invoke(cli, ["--db", str(db), "--format", "md"])
    assert res.exit_code == 0, res.output
    _golden("sweep.md", res.stdout)
    assert "| failed | oom (failed to allocate) |" in res.stdout
    assert "| skipped | predicted memory exceeds the device budget |" in res.stdout
    assert "llama-server -hf rigbench-test/synth-llama-GGUF:Q4_K_M" in res.stdout
    assert "objective: tg (the default)" in res.stdout


def test_text_golden(machine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    db = make_db(tmp_path / "r.db", machine, monkeypatch)
    out = tmp_path / "r.txt"
    res = CliRunner().invoke(cli, ["--db", str(db), "-o", str(out)])
    assert res.exit_code == 0, res.output
    _golden("sweep.txt", out.read_text())


def test_json_is_schema_versioned(machine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    db = make_db(tmp_path / "r.db", machine, monkeypatch, sweeps=2)
    res = CliRunner().invoke(cli, ["--db", str(db), "--sweep", "1,2", "--format", "json"])
    data = json.loads(res.stdout)
    assert data["schema_version"] == 3 and len(data["sweeps"]) == 2
    acc = data["accuracy"]
    assert acc["tg"]["points"] == 4 and acc["tg"]["median_abs_error"] is not None
    # how many measurements fell inside their prediction's 80 % interval
    tg = [p for s in data["sweeps"] for p in s["points"] if p["kind"] == "tg"]
    banded = [p for p in tg if p["predicted_interval_tokens_per_s"] and p["error"] is not None]
    lo_hi = [(p["predicted_interval_tokens_per_s"], p["measured_tokens_per_s"]) for p in banded]
    assert acc["tg"]["with_interval"] == len(banded) == 4
    # the first sweep's measurements sit inside, the second's (0.7x) below
    assert acc["tg"]["inside_interval"] == sum(lo <= m <= hi for (lo, hi), m in lo_hi) == 2
    first = data["sweeps"][0]["points"][0]
    assert first["error"] == pytest.approx(
        first["predicted_tokens_per_s"] / first["measured_tokens_per_s"] - 1
    )


def test_other_predictor_versions_are_not_compared(
    machine,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = make_db(tmp_path / "r.db", machine, monkeypatch)
    conn = sqlite3.connect(db)
    current = f'"predictor_version": "{SPEED_PREDICTOR_VERSION}"'
    conn.execute(
        "UPDATE points SET prediction_json = replace(prediction_json, ?, ?) WHERE id = 1",
        (current, '"predictor_version": "0"'),
    )
    conn.commit()
    res = CliRunner().invoke(cli, ["--db", str(db), "--format", "md"])
    assert "(not comparable)" in res.stdout and "another predictor version" in res.stdout


def test_html_renders_charts_offline_in_chromium(
    machine,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = make_db(tmp_path / "r.db", machine, monkeypatch, sweeps=2)
    page = tmp_path / "report.html"
    res = CliRunner().invoke(
        cli, ["--db", str(db), "--sweep", "1,2", "--format", "html", "-o", str(page)]
    )
    assert res.exit_code == 0, res.output
    html = page.read_text()
    assert html.count("<svg") >= 4 and "quant ladder" in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    seen = browse(page, tmp_path)
    assert seen.colors > 40  # charts drew, not blank
    assert seen.logged_requests  # the log did record URL requests (Chromium's own, at least)
    assert seen.page_requests == []
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    dom = seen.dom
    assert dom.count("<circle") >= 10 and "<polyline" in dom


def test_compare_and_gate(machine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    db = make_db(tmp_path / "r.db", machine, monkeypatch, sweeps=2)
    res = CliRunner().invoke(cli, ["--db", str(db), "compare", "1", "2", "--format", "json"])
    data = json.loads(res.stdout)
    assert data["schema_version"] == 2
    deltas = data["deltas"]
    assert len(deltas) == 6 and all(d["significant"] for d in deltas)
    assert all(d["speedup"] == pytest.approx(0.7, rel=1e-6) for d in deltas)

    def gate(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "report.cli", "--db", str(db), "gate", *args]
        return subprocess.run(cmd, capture_output=True, text=True, check=False)

    bad = gate("--baseline", "1", "--candidate", "2", "--max-regression", "5%")
    assert bad.returncode == 1 and "regressed by more than 5%" in bad.stderr
    assert "REGRESSION" in bad.stdout
    ok = gate("--baseline", "1", "--candidate", "1")
    assert ok.returncode == 0


def test_welch_t_test_p_values() -> None:
    assert _compare.t_two_sided_p(2.776, 4) == pytest.approx(0.05, abs=1e-3)
    assert _compare.t_two_sided_p(2.0, 10) == pytest.approx(0.0734, abs=1e-3)
    assert _compare.welch_p([10, 11, 12], [10, 11, 12]) == pytest.approx(1.0)
    assert _compare.welch_p([1.0], [2.0]) is None


@pytest.mark.parametrize("fmt", ["jsonl", "json", "csv", "sql"])
def test_import_llama_bench_output(
    fmt: str, tmp_path: Path, llama_bench: Path, session_env: pytest.MonkeyPatch
) -> None:
    from bench.model import SynthSpec, synthesize

    model = synthesize(
        SynthSpec(
            n_layer=4, n_embd=256, n_head=4, n_head_kv=2, n_ff=768, n_vocab=2048, quant="Q4_K_M"
        )
    ).path
    out = subprocess.run(
        [
            str(llama_bench),
            "-m",
            str(model),
            "-p",
            "32",
            "-n",
            "8",
            "-r",
            "2",
            "-t",
            "2",
            "-o",
            fmt,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    f = tmp_path / f"results.{fmt}"
    f.write_text(out.stdout)
    db = tmp_path / "r.db"
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "report.cli",
            "--db",
            str(db),
            "import",
            str(f),
            "--hardware",
            "desktop-7950x-cpu",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    data = json.loads(CliRunner().invoke(cli, ["--db", str(db), "--format", "json"]).stdout)
    points = data["sweeps"][0]["points"]
    assert {p["test"] for p in points} == {"pp32", "tg8"}
    assert all(p["predicted_tokens_per_s"] > 0 and p["measured_tokens_per_s"] > 0 for p in points)


def test_corrupt_import_names_the_line(tmp_path: Path) -> None:
    f = tmp_path / "bad.jsonl"
    f.write_text('{"avg_ts": 1.0, "n_prompt": 512}\n{"avg_ts": 2.0, "n_pro\n')
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "report.cli",
            "--db",
            str(tmp_path / "r.db"),
            "import",
            str(f),
            "--hardware",
            "rtx4090",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1 and "cannot import line 2" in res.stderr


@pytest.mark.parametrize(
    ("args", "words"),
    [(["--sweep", "42"], "no sweep 42"), (["--sweep", "x"], "cannot read sweep ids")],
)
def test_bad_selection(
    machine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
    args: list[str],
    words: str,
) -> None:
    db = make_db(tmp_path / "r.db", machine, monkeypatch)
    res = subprocess.run(
        [sys.executable, "-m", "report.cli", "--db", str(db), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1 and words in res.stderr


def test_empty_newer_and_unwritable(
    machine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    empty = tmp_path / "empty.db"
    Store.open(empty).close()
    res = subprocess.run(
        [sys.executable, "-m", "report.cli", "--db", str(empty)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1 and "holds no sweeps yet" in res.stderr
    conn = sqlite3.connect(empty)
    conn.execute("UPDATE meta SET value = '7' WHERE key = 'schema_version'")
    conn.commit()
    res = subprocess.run(
        [sys.executable, "-m", "report.cli", "--db", str(empty)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1 and "upgrade rigbench" in res.stderr
    db = make_db(tmp_path / "r.db", machine, monkeypatch)
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "report.cli",
            "--db",
            str(db),
            "--format",
            "html",
            "-o",
            str(tmp_path / "nope" / "r.html"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 1 and "cannot write" in res.stderr

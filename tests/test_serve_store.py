"""`bench serve` results in the results store (issue 17): levels written as they finish, kept
through Ctrl-C, and stores of older schemas upgraded (newer ones refused)."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench.cli import main
from bench.model import synthesize
from bench.run import _serve
from bench.store import SCHEMA_VERSION, Store
from probe.errors import UserError
from tests.test_serve import ROOT, TINY, gone


@pytest.fixture
def fake_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.chdir(ROOT)
    for k in [k for k in os.environ if k.startswith("FAKE_")]:
        monkeypatch.delenv(k)
    return monkeypatch


def wrapper(tmp_path: Path) -> Path:
    w = tmp_path / "llama-server"
    w.write_text(f'#!/bin/sh\nexec {sys.executable} -m tests.fakes.llama_server "$@"\n')
    w.chmod(0o755)
    return w


def test_bench_serve_stores_each_level(fake_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_env.setenv("FAKE_ITL_S", "0.002")
    db = tmp_path / "r.db"
    args = ["serve", "-m", str(synthesize(TINY).path), "--ctx", "256", "--users", "1,2"]
    args += ["--prompt", "8,200", "--gen", "4", "--duration", "0.2s", "--no-batched-bench"]
    main([*args, "--llama-server", str(wrapper(tmp_path)), "--db", str(db), "--format", "json"])
    store = Store.open(db, readonly=True)
    (run,) = store.serve_runs()
    assert run["status"] == "done" and run["model"]["file"] and run["prediction"]["levels"]
    levels = {(lv["users"], lv["n_prompt"]): lv for lv in run["levels"]}
    assert list(levels) == [(1, 8), (2, 8), (1, 200), (2, 200)]
    two = levels[(2, 8)]
    assert two["summary"]["errors"] == 0 and two["summary"]["ttft_p50_s"] > 0
    assert two["predicted"]["users"] == 2 and two["requests"][0]["gen_tokens"] == 4
    assert "exceed a slot's" in levels[(2, 200)]["skipped"] and levels[(2, 200)]["summary"] is None


def test_ctrl_c_in_the_second_level_keeps_the_first(
    fake_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = _serve.drive_level
    calls: list[int] = []
    servers: list[int] = []

    def drive(*a: Any, **k: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            servers.extend(p.pid for p in psutil.Process().children(recursive=True))
            raise KeyboardInterrupt
        return real(*a, **k)

    fake_env.setattr(_serve, "drive_level", drive)
    db = tmp_path / "r.db"
    req = _serve.ServeRequest(
        model=str(synthesize(TINY).path), ctx=256, users=(1, 2), prompts=(8,), n_gen=4,
        duration_s=0.2, llama_server=str(wrapper(tmp_path)), batched_bench=False, db=db,
    )  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        _serve.run_serve(req)
    assert servers and all(gone(pid) for pid in servers)
    (run,) = Store.open(db, readonly=True).serve_runs()
    assert run["status"] == "interrupted"
    assert [(lv["users"], lv["n_prompt"]) for lv in run["levels"]] == [(1, 8)]
    assert run["levels"][0]["summary"]["requests"] >= 1


def _as_schema_2(db: Path) -> None:
    Store.open(db).close()
    conn = sqlite3.connect(db)
    conn.executescript(
        "DROP TABLE serve_levels; DROP TABLE serve_runs; "
        "UPDATE meta SET value = '2' WHERE key = 'schema_version';"
    )
    conn.close()


def test_a_schema_2_store_is_upgraded_and_a_newer_one_refused(tmp_path: Path) -> None:
    db = tmp_path / "old.db"
    _as_schema_2(db)
    assert Store.open(db, readonly=True).serve_runs() == []  # read as it is: no serve runs
    store = Store.open(db)
    version = store.conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    assert version[0] == str(SCHEMA_VERSION) == "5"  # 2 -> 3 -> 4 -> 5, new columns already there
    run = store.start_serve("fp", {"file": "m"}, {}, {"users": [1]}, None)
    store.add_serve_level(run, {"users": 1, "n_prompt": 8, "n_gen": 4, "summary": {"errors": 0}})
    store.finish_serve(run, "done")
    (got,) = store.serve_runs()
    assert got["status"] == "done" and got["levels"][0]["summary"] == {"errors": 0}
    store.conn.execute("UPDATE meta SET value = '6' WHERE key = 'schema_version'")
    store.close()
    with pytest.raises(UserError, match="newer rigbench"):
        Store.open(db)

"""The sweep: axes, the results store, failures that never stop it, resume, downloads."""

from __future__ import annotations

import dataclasses
import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import probe
from bench import Axes, Measurement, RunConfig, Store, parse_axis
from bench.cli import cli
from bench.localhub import LocalHub
from bench.model import FileFact, SynthSpec, _download, synthesize
from bench.run import classify
from bench.store import SCHEMA_VERSION
from probe import UserError

TINY = SynthSpec(
    n_layer=4, n_embd=256, n_head=4, n_head_kv=2, n_ff=768, n_vocab=2048, n_ctx=4096, quant="Q4_K_M"
)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("0-40+8", [0, 8, 16, 24, 32, 40]),
        ("512-4096*2", [512, 1024, 2048, 4096]),
        ("1,2,4", [1, 2, 4]),
        ("7", [7]),
        (None, [3]),
    ],
)
def test_axes_read_like_llama_bench(text: str | None, values: list[int]) -> None:
    assert parse_axis(text, [3]) == values


@pytest.mark.parametrize("bad", ["1-x", "8-0+2", "2-64*1", "fast"])
def test_bad_axes_are_one_line(bad: str) -> None:
    with pytest.raises(UserError):
        parse_axis(bad, [1])


def test_points_split_pp_and_tg() -> None:
    pts = Axes(n_prompt=[128, 512], n_gen=[32], n_depth=[0, 1024], n_threads=[1, 2]).points(2)
    assert len(pts) == 12
    assert sum(1 for p in pts if p.n_gen == 0) == 8 and all(p.n_threads in (1, 2) for p in pts)


@pytest.mark.parametrize(
    ("rc", "stderr", "timed_out", "cls"),
    [
        (1, "ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer", False, "oom"),
        # A SIGKILL with no timeout and no out-of-memory message is no evidence of the OOM
        # killer (issue 12: anyone can send it): a crash, unless the kernel counted a kill.
        (-9, "", False, "crash"),
        (-9, "", True, "timeout"),
        (1, "error: unknown argument: --n-cpu-moe", False, "unsupported"),
        (-11, "Segmentation fault", False, "crash"),
        # llama-bench's only line when llama_init_from_model returns NULL, for any reason.
        (1, "llama_bench: error: failed to create context with model 'm.gguf'", False, "crash"),
        (
            1,
            "llama_init_from_model: quantized V cache requires flash_attn to be enabled\n"
            "llama_bench: error: failed to create context with model 'm.gguf'",
            False,
            "unsupported",
        ),
    ],
)
def test_failure_classes(rc: int, stderr: str, timed_out: bool, cls: str) -> None:
    assert classify(rc, stderr, timed_out) == cls


def test_store_schema_gates(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    Store.open(db).close()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (
        str(SCHEMA_VERSION),
    )
    conn.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(UserError, match="newer rigbench") as err:
        Store.open(db)
    assert "upgrade rigbench" in (err.value.hint or "")


def test_unwritable_database_is_one_line(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if os.geteuid() == 0:  # root ignores permissions: use a path under a file instead
        (tmp_path / "file").write_text("x")
        target = tmp_path / "file" / "r.db"
    else:
        target = ro / "r.db"
    with pytest.raises(UserError, match=r"cannot (create|use) the results database"):
        Store.open(target)


def test_two_writers_share_one_database(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    s0 = Store.open(db)
    fp = s0.add_host(probe.detect())
    sid = s0.start_sweep(fp, {}, None, {}, {}, "k")

    def writer(prefix: str) -> None:
        s = Store.open(db)
        for i in range(50):
            m = Measurement("ok", avg_ts=float(i))
            s.add_point(sid, f"{prefix}{i}", RunConfig(n_depth=i), None, m)
        s.close()

    threads = [threading.Thread(target=writer, args=(p,)) for p in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(list(s0.points(sweep_id=sid))) == 100
    assert s0.integrity_check() == "ok"


@pytest.fixture
def tiny(session_env: pytest.MonkeyPatch) -> Path:
    return synthesize(TINY).path


def fake_engine(tmp_path: Path, real: Path) -> tuple[Path, Path]:
    """A llama-bench wrapper that misbehaves for marked -n values and logs every call."""
    log = tmp_path / "calls.log"
    script = tmp_path / "llama-bench"
    script.write_text(f"""#!/bin/sh
echo "$@" >> {log}
n=""; prev=""
for a in "$@"; do [ "$prev" = "-n" ] && n="$a"; prev="$a"; done
case "$n" in
  7) kill -SEGV $$ ;;
  9) echo "ggml_backend_cpu_buffer_type_alloc_buffer: failed to allocate buffer" >&2; exit 1 ;;
  11) sleep 30 ;;
  13) echo "error: unknown argument: -n" >&2; exit 1 ;;
  *,*) case ",$n," in *,7,*|*,9,*|*,11,*|*,13,*) kill -SEGV $$ ;; esac ;;
esac
exec {real} "$@"
""")

    script.chmod(0o755)
    return script, log


def _sweep(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bench.cli", "sweep", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200", **env},
    )


def test_failing_points_are_recorded_and_the_sweep_goes_on(
    tiny: Path, tmp_path: Path, llama_bench: Path
) -> None:
    engine, _log = fake_engine(tmp_path, llama_bench)
    db = tmp_path / "r.db"
    args = ["-m", str(tiny), "-p", "64", "-n", "7,9,11,13,16", "-r", "1", "-t", "2"]
    args += ["--timeout", "3", "--db", str(db), "--format", "json"]
    done = _sweep([*args, "--llama-bench", str(engine)])
    assert done.returncode == 2, done.stderr  # finished, but not every point is trustworthy
    (result,) = json.loads(done.stdout)["sweeps"]
    by = {p["test"].split()[0]: p for p in result["points"]}
    assert by["pp64"]["status"] == "ok" and by["tg16"]["status"] == "ok"
    assert {k: by[k]["why"] for k in ("tg7", "tg9", "tg11", "tg13")} == {
        "tg7": "crash",
        "tg9": "oom",
        "tg11": "timeout",
        "tg13": "unsupported",
    }
    assert by["tg16"]["predicted"] and by["tg16"]["measured"] > 0
    conn = sqlite3.connect(db)
    tail = conn.execute("SELECT stderr_tail FROM points WHERE failure_class='oom'").fetchone()[0]
    assert "failed to allocate" in tail
    # llama.cpp's compare script reads the llama_bench view.
    rows = conn.execute("SELECT n_prompt, n_gen, avg_ts, build_commit FROM llama_bench").fetchall()
    assert {(r[0], r[1]) for r in rows} == {(64, 0), (0, 16)} and rows[0][3]
    # --resume runs nothing and still says the sweep holds failed points; --retry-failed runs
    # exactly those again (here with the real engine, which does not fail them).
    again = _sweep([*args, "--llama-bench", str(engine), "--resume"])
    assert again.returncode == 2 and "4 point(s) failed" in again.stderr
    (result,) = json.loads(again.stdout)["sweeps"]
    assert (result["ok"], result["resumed"], result["sweep_id"]) == (0, 6, 1)
    retry = _sweep([*args, "--llama-bench", str(llama_bench), "--retry-failed"])
    assert retry.returncode == 0, retry.stderr
    (result,) = json.loads(retry.stdout)["sweeps"]
    assert (result["ok"], result["resumed"], result["failed"]) == (4, 2, 0)
    assert {p["status"] for p in result["points"]} == {"ok"}


def test_interrupted_sweep_resumes_without_rerunning(
    tiny: Path, tmp_path: Path, llama_bench: Path
) -> None:
    engine, log = fake_engine(tmp_path, llama_bench)
    db = tmp_path / "r.db"
    args = [
        "-m",
        str(tiny),
        "-p",
        "32,64,96,128",
        "-n",
        "0",
        "-r",
        "3",
        "-t",
        "1",
        "--delay",  # a second between tests: the kill lands after the first point, not the last
        "1",
        "--max-cv",  # resuming is under test here, not the stability of pp32 on a busy host
        "100%",
        "--db",
        str(db),
        "--llama-bench",
        str(engine),
    ]
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.cli", "sweep", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:  # wait for the first stored point, then pull the plug
        if db.exists():
            try:
                n = sqlite3.connect(db).execute("SELECT count(*) FROM points").fetchone()[0]
            except sqlite3.OperationalError:
                n = 0
            if n >= 1:
                break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    measured = {r[0] for r in sqlite3.connect(db).execute("SELECT n_prompt FROM points")}
    first = len(measured)
    assert 1 <= first < 4
    log.write_text("")
    done = _sweep([*args, "--resume", "--format", "json"])
    finished = _sweep([*args, "--resume", "--format", "json"])  # a finished sweep: nothing to do
    assert finished.returncode == 0, finished.stderr
    (again,) = json.loads(finished.stdout)["sweeps"]
    assert (again["ok"], again["resumed"]) == (0, 4)
    assert done.returncode == 0, done.stderr
    (result,) = json.loads(done.stdout)["sweeps"]
    assert result["resumed"] == first and result["ok"] == 4 - first
    asked: set[int] = set()
    for line in log.read_text().splitlines():
        words = line.split()
        if "-p" in words:
            asked |= {int(v) for v in words[words.index("-p") + 1].split(",")}
    assert asked and not asked & measured  # finished points were not run again
    assert sqlite3.connect(db).execute("SELECT count(*) FROM points").fetchone()[0] == 4


def test_no_engine_says_how_to_build_one(tiny: Path, tmp_path: Path) -> None:
    done = _sweep(
        ["-m", str(tiny), "--engine", "llama-bench", "--db", str(tmp_path / "r.db")],
        RIGBENCH_LLAMA_BENCH="",
        PATH="/usr/bin:/bin",
        RIGBENCH_CACHE=str(tmp_path),
    )
    assert done.returncode == 1 and "bench engines build" in done.stderr


def test_not_a_gguf(tmp_path: Path) -> None:
    bad = tmp_path / "x.gguf"
    bad.write_text("hello")
    done = _sweep(["-m", str(bad), "--db", str(tmp_path / "r.db")])
    assert done.returncode == 1 and "not a valid GGUF file (bad magic" in done.stderr


def test_llama_cpp_python_engine(tiny: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli,
        [
            "sweep",
            "-m",
            str(tiny),
            "--engine",
            "llama-cpp-python",
            "-p",
            "32",
            "-n",
            "8",
            "-r",
            "1",
            "-t",
            "2",
            "--depth",
            "0,64",
            "--db",
            str(tmp_path / "r.db"),
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    (result,) = json.loads(res.stdout)["sweeps"]
    assert result["ok"] == 4 and result["processes"] == 1


# -- downloads through the local hub ------------------------------------------------------------


@pytest.fixture
def big_repo(hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> tuple[LocalHub, FileFact, str]:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    data = bytes(range(256)) * (24 * 4096)  # 24 MiB
    repo = hub.add_repo("rigbench-test/big-GGUF", {"m-Q8_0.gguf": data})
    f = repo.files["m-Q8_0.gguf"]
    hub.faults.drop_after.clear()
    hub.faults.corrupt.clear()
    return hub, FileFact("m-Q8_0.gguf", f.size, f.sha256), repo.commit


def test_a_download_that_keeps_failing_says_how_to_resume(big_repo) -> None:  # type: ignore[no-untyped-def]
    hub, f, commit = big_repo
    hub.faults.drop_after["rigbench-test/big-GGUF/m-Q8_0.gguf"] = (3 * 2**20, -1)  # always
    with pytest.raises(UserError, match=r"download of .* stopped") as err:
        _download.download("rigbench-test/big-GGUF", commit, (f,))
    assert "run the same command again to resume" in (err.value.hint or "")


def test_interrupted_download_resumes_where_it_stopped(big_repo) -> None:  # type: ignore[no-untyped-def]
    hub, f, commit = big_repo
    data = hub.repos["rigbench-test/big-GGUF"].files["m-Q8_0.gguf"].read(0, f.size_bytes)
    # What a killed earlier run leaves: the first 10 MiB beside the blob it was writing.
    partial = Path(str(_download._blob("rigbench-test/big-GGUF", f)) + _download.PARTIAL)
    partial.parent.mkdir(parents=True, exist_ok=True)
    partial.write_bytes(data[: 10 * 2**20])
    hub.reset_counters()
    (path,) = _download.download("rigbench-test/big-GGUF", commit, (f,))
    ranges = [r[2] for r in hub.requests if r[1].startswith("/cdn/") and r[2]]
    assert ranges == [f"bytes={10 * 2**20}-"]  # it continued, not restarted
    assert hub.bytes_sent < f.size_bytes
    assert _download._sha256(path) == f.sha256 and not partial.exists()
    assert path.is_symlink() and "snapshots" in str(path)
    from huggingface_hub import hf_hub_download

    same = hf_hub_download(
        "rigbench-test/big-GGUF",
        "m-Q8_0.gguf",
        local_files_only=True,
        cache_dir=str(_download.cache_root()),
    )
    assert Path(same).resolve() == path.resolve()  # the standard cache, shared with others


def test_a_dropped_connection_mid_download_is_resumed(big_repo) -> None:  # type: ignore[no-untyped-def]
    hub, f, commit = big_repo
    hub.faults.drop_after["rigbench-test/big-GGUF/m-Q8_0.gguf"] = (15 * 2**20, 1)
    (path,) = _download.download("rigbench-test/big-GGUF", commit, (f,))
    assert _download._sha256(path) == f.sha256


def test_corrupt_download_is_detected_and_deleted(big_repo) -> None:  # type: ignore[no-untyped-def]
    hub, f, commit = big_repo
    hub.faults.corrupt.add("rigbench-test/big-GGUF/m-Q8_0.gguf")
    with pytest.raises(UserError, match="is corrupt: sha256") as err:
        _download.download("rigbench-test/big-GGUF", commit, (f,))
    assert "deleted it" in err.value.message
    assert not list((_download.repo_folder("rigbench-test/big-GGUF") / "blobs").glob("*"))


def test_disk_too_small(big_repo, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    _hub, f, commit = big_repo
    import shutil

    monkeypatch.setattr(shutil, "disk_usage", lambda p: shutil._ntuple_diskusage(100, 99, 1))  # type: ignore[attr-defined]
    with pytest.raises(UserError, match="not enough disk"):
        _download.download("rigbench-test/big-GGUF", commit, (f,))


def test_sweep_from_the_hub_then_offline(hub: LocalHub, tmp_path: Path, llama_bench: Path) -> None:
    env = {"HF_ENDPOINT": hub.url}
    db = str(tmp_path / "r.db")
    dry = _sweep(["-m", "rigbench-test/synth-llama-GGUF", "--dry-run", "--db", db], **env)
    assert dry.returncode == 0, dry.stderr
    assert "plan: rigbench-test/synth-llama-GGUF:" in dry.stderr and "disk:" in dry.stderr
    assert not list(_download.cache_root().glob("models--rigbench-test--synth-llama-GGUF"))
    args = [
        "-m",
        "rigbench-test/synth-llama-GGUF:F16",
        "-p",
        "32",
        "-n",
        "8",
        "-r",
        "1",
        "-t",
        "2",
        "--db",
        db,
        "--format",
        "json",
    ]
    done = _sweep(args, **env)
    assert done.returncode == 0, done.stderr
    (result,) = json.loads(done.stdout)["sweeps"]
    assert result["model"]["quant"] == "F16" and len(result["model"]["files"]) == 2  # shards
    assert result["ok"] == 2
    off = _sweep([*args, "--offline"], HF_ENDPOINT="http://127.0.0.1:9", HF_HUB_OFFLINE="1")
    assert off.returncode == 0, off.stderr
    missing = _sweep(["-m", "rigbench-test/synth-llama-GGUF:Q9_K", "--db", db], **env)
    assert missing.returncode == 1 and "has no Q9_K quant" in missing.stderr
    assert "available: " in missing.stderr


def test_demo_repo_quant_choice_fits_ram(hub: LocalHub, tmp_path: Path) -> None:
    done = _sweep(
        ["-m", "rigbench-test/synth-llama-GGUF", "--dry-run", "--db", str(tmp_path / "r.db")],
        HF_ENDPOINT=hub.url,
    )
    # A CPU-only host: the largest quant that fits in RAM is the F16.
    assert "synth-llama-GGUF:F16" in done.stderr


def test_dataclass_fields_round_trip() -> None:
    from bench import RunConfig

    cfg = RunConfig(n_prompt=1, n_gen=0)
    assert RunConfig(**json.loads(json.dumps(dataclasses.asdict(cfg)))) == cfg


def test_gpu_memory_is_sampled_beside_the_engine() -> None:
    from bench.run import run_process
    from tests.fakes.nvml import FakeNVML

    nvml = FakeNVML.load("two-gpus")
    result = run_process(
        [sys.executable, "-c", "import time; time.sleep(0.3)"],
        10,
        lambda rec: None,
        load_nvml=lambda: nvml,
    )
    assert result.peak_gpu_bytes == {
        "0:NVIDIA GeForce RTX 3090": 335544320,
        "1:NVIDIA GeForce RTX 3060": 268435456,
    }
    assert nvml.calls[-1] == "nvmlShutdown"
    quiet = run_process(
        [sys.executable, "-c", "pass"],
        10,
        lambda rec: None,
        load_nvml=lambda: FakeNVML.load("no-driver"),
    )
    assert quiet.peak_gpu_bytes == {} and quiet.returncode == 0


def test_llama_cpp_python_records_its_memory_breakdown_and_load_time(tiny: Path) -> None:
    from bench.run import run_llama_cpp_python

    (rec,) = run_llama_cpp_python(
        {
            "model": str(tiny),
            "n_threads": 1,
            "repetitions": 1,
            "use_mmap": False,
            "tests": [{"n_prompt": 16, "n_gen": 0, "n_depth": 0}],
        }
    )
    mem = rec["memory_breakdown"]
    assert rec["load_s"] > 0 and mem["weights_bytes"] > 0 and mem["kv_bytes"] > 0
    assert mem["compute_bytes"] > 0


def test_llama_cpp_compare_script_reads_the_store(
    tiny: Path, tmp_path: Path, llama_bench: Path
) -> None:
    from tests.conftest import REAL_COMPARE_SCRIPT

    if REAL_COMPARE_SCRIPT is None:
        pytest.fail("llama.cpp's source tree is missing: run `make install`")
    db = tmp_path / "r.db"
    args = ["-m", str(tiny), "-p", "32", "-n", "8", "-r", "2", "-t", "2", "--max-cv", "100%"]
    done = _sweep([*args, "--db", str(db)])
    # Exit 2 for timings that spread on a busy runner is the sweep working, not this test's
    # subject (the llama_bench view is): any other outcome fails.
    assert done.returncode == 0 or (done.returncode == 2 and "unstable timings" in done.stderr), (
        done.stderr
    )
    conn = sqlite3.connect(db)
    (commit,) = conn.execute("SELECT DISTINCT build_commit FROM llama_bench").fetchone()
    # A second "build" of the same tests, 10 % faster, as another llama.cpp commit would be.
    cols = [r[1] for r in conn.execute("PRAGMA table_info(llama_bench)") if r[1] != "point_id"]
    conn.execute(
        f"INSERT INTO llama_bench ({', '.join(cols)}) SELECT "
        + ", ".join(
            "'feedbee' "
            if c == "build_commit"
            else "avg_ts * 1.1"
            if c == "avg_ts"
            else "datetime(test_time, '+1 day')"
            if c == "test_time"
            else c
            for c in cols
        )
        + " FROM llama_bench"
    )
    conn.commit()
    out = subprocess.run(
        [sys.executable, str(REAL_COMPARE_SCRIPT), "-i", str(db), "-b", commit, "-c", "feedbee"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "pp32" in out.stdout and "tg8" in out.stdout and "1.10" in out.stdout


def test_auto_ngl_and_ctx_are_confirmed_by_real_loads(
    tiny: Path, tmp_path: Path, llama_bench: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bench.model import load_local
    from bench.run import _orchestrate as _sweepcli

    loads: list[tuple[int, int]] = []
    real = _sweepcli.fits_for_real

    def counting(model: Path, n_ctx: int, ngl: int) -> bool:
        loads.append((n_ctx, ngl))
        return real(model, n_ctx, ngl) and n_ctx <= 2048  # pretend 2048 is the real limit

    monkeypatch.setattr(_sweepcli, "fits_for_real", counting)
    target = _sweepcli.Target("tiny", tiny, load_local(tiny), {})
    host = probe.detect()
    logs: list[str] = []
    axes = _sweepcli.resolve_auto(
        Axes(n_prompt=[64], n_gen=[16]), True, True, target, host, logs.append
    )
    assert axes.n_gpu_layers == [0]  # no GPU here: nothing to offload
    # The prediction says the whole 4096 training context fits; real loads bisect to 2048.
    assert any("--ctx auto (tiny): 2048 (predicted 4096)" in line for line in logs)
    assert axes.n_depth == [0, 1024, 1792]  # 0, half, and the most a pp64+tg16 test can use
    assert len(loads) <= 6  # bisection, not a scan


def test_auto_axes_are_resolved_for_each_quant(
    hub: LocalHub, tmp_path: Path, llama_bench: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--ngl auto over two quants: each quant is swept at its own limit, not the first's."""
    from bench import SweepOptions, SweepRequest, run_sweep
    from bench.run import _orchestrate

    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    hub.faults.delay_s = 0.0
    limits = {"Q4_K_M": 4, "Q8_0": 2}  # pretend real loads stop at these GPU layer counts

    def fake_load(model: Path, n_ctx: int, ngl: int) -> bool:
        quant = next(q for q in limits if q in model.name)
        return ngl <= limits[quant]

    monkeypatch.setattr(_orchestrate, "fits_for_real", fake_load)
    # A CUDA build as far as planning goes (a CPU build would leave the GPU unused); the real
    # llama-bench here is a CPU build, which ignores -ngl.
    real_info = _orchestrate.engine_info
    monkeypatch.setattr(
        _orchestrate, "engine_info", lambda *a: {**real_info(*a), "backend": "cuda"}
    )
    req = SweepRequest(
        model="rigbench-test/synth-llama-GGUF",
        axes=Axes(n_prompt=[16], n_gen=[4], n_threads=[1]),
        quants=("Q4_K_M", "Q8_0"),
        ngl_auto=True,
        options=SweepOptions(repetitions=1),
        llama_bench=str(llama_bench),
        db=tmp_path / "r.db",
        host=probe.load_host("rtx3060-12gb"),  # a GPU to bisect on; llama-bench runs on the CPU
    )
    outcome = run_sweep(req)
    assert outcome.exit_status in (0, 2)  # 2 only if timings were unstable on this busy host
    layers = {
        t.facts["quant"]: {p.config.n_gpu_layers for p in s.points} for t, s in outcome.results
    }
    assert layers == {"Q4_K_M": {4}, "Q8_0": {2}}


def test_a_new_config_field_keeps_stored_point_keys() -> None:
    """Points stored before RunConfig grew no_op_offload keep their keys (--resume finds them)."""
    import hashlib

    from bench.run import point_key

    cfg = RunConfig(n_prompt=64, n_gen=0)
    before = {k: v for k, v in dataclasses.asdict(cfg).items() if k != "no_op_offload"}
    old_key = hashlib.sha256(json.dumps(before, sort_keys=True).encode()).hexdigest()[:16]
    assert point_key(cfg) == old_key
    assert point_key(dataclasses.replace(cfg, no_op_offload=True)) != old_key

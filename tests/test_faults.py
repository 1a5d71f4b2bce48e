"""Faults a sweep or a report must survive (issue 12): a killed `bench`, an engine killed from
outside, a stale engine, a full disk, a read-only store, and malformed input files. Each ends
in one line (``error: …`` + ``hint: …``, exit 1) or a stored failure, never an orphaned engine
or a traceback."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest

from bench import Measurement, RunConfig, Store
from bench.run._process import classify, engine_pidfile, failure_reason, run_process, stale_engines
from probe import UserError
from tests.test_sweep import TINY, _sweep

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux processes")


@pytest.fixture
def tiny(session_env: pytest.MonkeyPatch) -> Path:
    from bench.model import synthesize

    return synthesize(TINY).path


def _gone(pid: int, within_s: float = 5.0) -> bool:
    """Whether ``pid`` has ended (a zombie nobody reaped yet counts as ended) within a while."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


def _end(pid: int) -> None:
    """Test hygiene: end one process this test started (by its pid), if it is still there."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _one_line_error(stderr: str, *words: str) -> None:
    assert "Traceback" not in stderr, stderr
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr
    assert any(line.startswith("hint:") for line in stderr.splitlines()), stderr
    for w in words:
        assert w in errors[0], stderr


def _slow_engine(tmp_path: Path, real: Path) -> Path:
    """llama-bench for probing the build, a minute-long sleep for a benchmark run."""
    script = tmp_path / "llama-bench"
    script.write_text(f"""#!/bin/sh
case " $* " in
  *" -m "*) exec sleep 61 ;;
esac
exec {real} "$@"
""")
    script.chmod(0o755)
    return script


# -- 1. engines never outlive bench ----------------------------------------------------------


def _runs(proc: psutil.Process, arg: str) -> bool:
    """Whether ``proc``'s command line holds ``arg``; a child that already exited (a zombie the
    sweep has not reaped yet: its probe run of the engine) holds nothing."""
    try:
        return arg in proc.cmdline()
    except (psutil.ZombieProcess, psutil.NoSuchProcess):
        return False


def test_a_killed_bench_leaves_no_engine_running(
    tiny: Path,
    tmp_path: Path,
    llama_bench: Path,
) -> None:
    """SIGKILL of `bench` mid-cell: before the fix its llama-bench child (own session) ran on."""
    engine = _slow_engine(tmp_path, llama_bench)
    db = tmp_path / "r.db"
    args = ["-m", str(tiny), "-p", "32", "-n", "0", "-r", "1", "-t", "1", "--db", str(db)]
    bench = subprocess.Popen(
        [sys.executable, "-m", "bench.cli", "sweep", *args, "--llama-bench", str(engine)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    child = None
    try:
        deadline = time.monotonic() + 60
        while child is None and time.monotonic() < deadline:
            child = next((k for k in psutil.Process(bench.pid).children() if _runs(k, "61")), None)
            time.sleep(0.05)
        assert child is not None, "the sweep never started its engine"
        bench.kill()
        bench.wait()
        assert _gone(child.pid), "the engine outlived the bench that started it"
    finally:
        if child is not None:
            _end(child.pid)
        if bench.poll() is None:
            bench.kill()


@pytest.mark.parametrize("fault", [sqlite3.OperationalError, KeyboardInterrupt, SystemExit])
def test_every_way_out_of_run_process_ends_the_engine(fault: type[BaseException]) -> None:
    """An exception while storing a record (a full disk), Ctrl-C or SystemExit: before the fix
    only Ctrl-C killed the engine."""
    code = "import time; print('{\"n_prompt\": 1}', flush=True); time.sleep(60)"
    seen: list[int] = []

    def on_record(_: dict[str, Any]) -> None:
        seen.append(1)
        raise fault("stop")

    before = {p.pid for p in psutil.Process().children()}
    with pytest.raises(fault):
        run_process([sys.executable, "-c", code], 30, on_record)
    assert seen
    new = [p.pid for p in psutil.Process().children() if p.pid not in before]
    try:
        assert all(_gone(pid, 1) for pid in new), "the engine survived the exception"
    finally:
        for pid in new:
            _end(pid)


def test_a_stale_engine_refuses_the_next_sweep(
    tiny: Path,
    tmp_path: Path,
) -> None:
    """An engine left over by a killed sweep on the same store (simulated: a `sleep` recorded
    as llama-bench by a sweep process that is gone) stops the next sweep with one line, until
    it ends. Before the fix, the sweep ran and measured beside it."""
    db = tmp_path / "r.db"
    Store.open(db).close()
    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid that no longer runs: the killed sweep
    stale = subprocess.Popen(["sleep", "60"])
    try:
        pidfile = db.with_name(f"{db.name}.engine-{gone.pid}.pid")
        pidfile.write_text(
            json.dumps(
                {
                    "pid": stale.pid,
                    "create_time": psutil.Process(stale.pid).create_time(),
                    "name": "llama-bench",
                    "owner_pid": gone.pid,
                    "owner_create_time": 0.0,
                }
            )
        )
        args = ["-m", str(tiny), "-p", "32", "-n", "0", "-r", "1", "-t", "1", "--db", str(db)]
        done = _sweep(args)
        assert done.returncode == 1, done.stderr
        _one_line_error(done.stderr, f"pid {stale.pid}", "still running")
        assert f"kill {stale.pid}" in done.stderr
        assert sqlite3.connect(db).execute("SELECT count(*) FROM points").fetchone() == (0,)
        assert stale.poll() is None  # rigbench did not kill what it did not start itself
    finally:
        _end(stale.pid)
        stale.wait()
    assert stale_engines(db) == [] and not pidfile.exists()  # an ended engine's record goes
    assert _sweep(args).returncode in (0, 2)


def test_a_running_sweeps_engine_is_not_stale(tmp_path: Path) -> None:
    """Only an engine whose sweep is gone is stale: a live sweep's own record is not."""
    db = tmp_path / "r.db"
    seen: list[list[Any]] = []
    run_process(
        [sys.executable, "-c", "print('{}', flush=True)"],
        30,
        lambda _: seen.append(stale_engines(db)),
        pidfile=engine_pidfile(db),
    )
    assert seen == [[]] and not engine_pidfile(db).exists()


# -- 2. failure classes from evidence only ---------------------------------------------------


def test_an_engine_killed_from_outside_is_a_crash_not_oom() -> None:
    """SIGKILL with no timeout, no out-of-memory message and no OOM kill counted in
    /proc/vmstat: before the fix, `oom`."""
    assert classify(-9, "", False, oom_kills=0) == "crash"
    assert "killed by signal 9 (SIGKILL) from outside" in failure_reason(-9, "", False)
    assert classify(-9, "", False, oom_kills=1) == "oom"  # the kernel counted an OOM kill
    assert "OOM killer" in failure_reason(-9, "", False, oom_kills=1)


def test_quantized_v_cache_without_flash_attention_is_unsupported(
    tiny: Path,
    tmp_path: Path,
    llama_bench: Path,
) -> None:
    """Real llama-bench (non-verbose) prints only "failed to create context" when llama.cpp
    refuses a q8_0 V cache with -fa 0: before the fix, `oom`."""
    db = tmp_path / "r.db"
    args = ["-m", str(tiny), "-p", "32", "-n", "0", "-r", "1", "-t", "1", "--db", str(db)]
    done = _sweep([*args, "--fa", "off", "--ctv", "q8_0", "--ctk", "q8_0"])
    assert done.returncode == 1 and "no point of the sweep could be measured" in done.stderr
    ((cls, tail),) = sqlite3.connect(db).execute(
        "SELECT failure_class, stderr_tail FROM points WHERE status = 'failed'"
    )
    assert cls == "unsupported"
    assert "failed to create context" in tail  # the engine's own line is kept
    assert "refuses a quantized V cache (q8_0) without flash attention" in tail


def test_a_signal_from_outside_is_stored_as_a_crash_with_its_reason(
    tiny: Path,
    tmp_path: Path,
    llama_bench: Path,
) -> None:
    script = tmp_path / "llama-bench"
    script.write_text(f"""#!/bin/sh
case " $* " in *" -m "*) kill -KILL $$ ;; esac
exec {llama_bench} "$@"
""")
    script.chmod(0o755)
    db = tmp_path / "r.db"
    args = ["-m", str(tiny), "-p", "32", "-n", "0", "-r", "1", "-t", "1", "--db", str(db)]
    done = _sweep([*args, "--llama-bench", str(script)])
    assert done.returncode == 1 and "no point of the sweep could be measured" in done.stderr
    ((cls, rc, tail),) = sqlite3.connect(db).execute(
        "SELECT failure_class, returncode, stderr_tail FROM points WHERE status = 'failed'"
    )
    assert (rc, cls) == (-9, "crash") or "OOM killer" in tail  # unless the kernel did it
    assert "killed by signal 9 (SIGKILL)" in tail


# -- 3. read-only stores ---------------------------------------------------------------------


@pytest.fixture
def store_db(tmp_path: Path, machine, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    from tests.test_report import make_db

    d = tmp_path / "media"
    d.mkdir()
    return make_db(d / "r.db", machine, monkeypatch)


def _run_main(module: str, argv: list[str], capsys: pytest.CaptureFixture[str]) -> Any:
    import importlib

    main = importlib.import_module(module).main
    code = 0
    try:
        main(argv)
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr()


@pytest.fixture
def read_only() -> Any:
    """``make(path)`` makes a file or directory read-only for real where this user can, and
    says whether it did: chmod for a user who is not root; ``chattr +i`` for root, who ignores
    modes but not the immutable flag (ext4 and most local filesystems, CAP_LINUX_IMMUTABLE).
    Undone at teardown."""
    done: list[Path] = []

    def make(path: Path) -> bool:
        if os.geteuid() != 0:
            path.chmod(0o555 if path.is_dir() else 0o444)
            done.append(path)
            return True
        if shutil.which("chattr") is None:
            return False
        res = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if res.returncode == 0:
            done.append(path)
        return res.returncode == 0

    yield make
    for path in reversed(done):
        if os.geteuid() != 0:
            path.chmod(0o755 if path.is_dir() else 0o644)
        else:
            subprocess.run(["chattr", "-i", str(path)], check=True)


def test_report_reads_a_store_on_read_only_media(
    store_db: Path,
    read_only: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The file and its directory read-only (as on a read-only mount: SQLite can create no
    -wal or -shm there): report opens ``mode=ro`` + ``immutable=1`` and reads it. Before the
    fix, report opened the store read-write and failed. Where neither chmod nor chattr can
    make them read-only, os.access says so instead, which proves only the choice of URI."""
    real = read_only(store_db) and read_only(store_db.parent)
    if not real:
        real_access = os.access

        def access(path: Any, mode: int, **kw: Any) -> bool:
            if Path(path) == store_db.parent and mode & os.W_OK:
                return False
            return real_access(path, mode, **kw)

        monkeypatch.setattr(os, "access", access)
    assert not os.access(store_db.parent, os.W_OK)
    code, out = _run_main("report.cli", ["--db", str(store_db), "--format", "json"], capsys)
    assert code == 0, out.err
    assert json.loads(out.out)["sweeps"]
    assert [p.name for p in store_db.parent.iterdir()] == ["r.db"]  # nothing made beside it


def test_a_read_only_store_refuses_writes_and_a_newer_schema(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    Store.open(db).close()
    ro = Store.open(db, readonly=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.conn.execute("INSERT INTO meta VALUES ('x', 'y')")
    ro.close()
    bare = tmp_path / "bare.db"
    sqlite3.connect(bare).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(UserError, match="not a rigbench results database"):
        Store.open(bare, readonly=True)
    assert [r[0] for r in sqlite3.connect(bare).execute("SELECT name FROM sqlite_master")] == [
        "t"
    ]  # no tables were created
    conn = sqlite3.connect(db)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(UserError, match="newer rigbench"):
        Store.open(db, readonly=True)
    with pytest.raises(UserError, match="no results database"):
        Store.open(tmp_path / "missing.db", readonly=True)


@pytest.mark.parametrize(
    ("what", "words"),
    [
        ("file", "attempt to write a readonly database"),
        ("dir", "unable to open database file"),  # what a read-only mount gives too
    ],
)
def test_a_read_only_database_given_to_sweep_is_one_line(
    tiny: Path,
    tmp_path: Path,
    read_only: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    what: str,
    words: str,
) -> None:
    """A results file `bench sweep` cannot write. A read-only file: SQLite opens it read-only
    and the first write fails with "attempt to write a readonly database". A read-only
    directory (or mount): SQLite cannot create the -wal beside it. Where chmod/chattr cannot
    make them read-only, every connection is opened ``mode=ro`` instead (the file case's
    SQLite error; the directory case then proves nothing more). Before the fix: a traceback
    for the file, "cannot use …" with no word of what is wrong for the directory."""
    d = tmp_path / "media"
    d.mkdir()
    db = d / "r.db"
    Store.open(db).close()
    if not read_only(db if what == "file" else d):
        real = sqlite3.connect

        def connect(database: Any, *args: Any, **kw: Any) -> sqlite3.Connection:
            uri = f"{Path(database).resolve().as_uri()}?mode=ro"
            return real(uri, *args, **{**kw, "uri": True})

        monkeypatch.setattr(sqlite3, "connect", connect)
        words = "attempt to write a readonly database"
    args = ["sweep", "-m", str(tiny), "-p", "32", "-n", "0", "-r", "1", "--db", str(db)]
    code, out = _run_main("bench.cli", args, capsys)
    assert code == 1
    _one_line_error(out.err, f"cannot write the results database {db}", words)
    assert "--db OTHER" in out.err


def test_a_store_that_turns_read_only_mid_sweep_is_one_line(tmp_path: Path) -> None:
    """A filesystem remounted read-only under a running sweep: the next point's write.
    Before the fix, sqlite3.OperationalError's traceback."""
    db = tmp_path / "r.db"
    store = Store.open(db)
    sid = store.start_sweep("fp", {}, None, {}, {}, "k")
    store.add_point(sid, "a", RunConfig(), None, Measurement("ok", avg_ts=1.0))
    store.conn.close()
    store.conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, isolation_level=None)
    with pytest.raises(UserError, match="cannot write the results database") as err:
        store.add_point(sid, "b", RunConfig(n_depth=1), None, Measurement("ok", avg_ts=1.0))
    assert "--db OTHER" in (err.value.hint or "")
    store.close()
    assert [p.key for p in Store.open(db, readonly=True).points()] == ["a"]


# -- 4. one line, not a traceback ------------------------------------------------------------


def test_a_full_disk_mid_sweep_is_one_line_and_keeps_the_points(
    tiny: Path,
    tmp_path: Path,
    llama_bench: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The disk fills while points stream in: SQLite's own SQLITE_FULL ("database or disk is
    full"), reached here through ``PRAGMA max_page_count`` once the sweep has started (a real
    full tmpfs gives the same error; see the issue's fault matrix). Before the fix: a
    traceback, and the engine left running."""
    real_start = Store.start_sweep

    def start_then_fill(self: Store, *args: Any, **kw: Any) -> int:
        sid = real_start(self, *args, **kw)
        (pages,) = self.conn.execute("PRAGMA page_count").fetchone()
        self.conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        return sid

    monkeypatch.setattr(Store, "start_sweep", start_then_fill)
    db = tmp_path / "r.db"
    prompts = ",".join(str(16 * i) for i in range(1, 25))
    args = ["sweep", "-m", str(tiny), "-p", prompts, "-n", "0", "-r", "1", "-t", "1"]
    before = {p.pid for p in psutil.Process().children()}
    code, out = _run_main("bench.cli", [*args, "--db", str(db)], capsys)
    assert code == 1, out.err
    _one_line_error(out.err, "cannot write the results database", "database or disk is full")
    assert "--resume" in out.err
    conn = sqlite3.connect(db)
    (stored,) = conn.execute("SELECT count(*) FROM points").fetchone()
    assert 1 <= stored < 24  # the points stored before the disk filled are kept
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    new = [p.pid for p in psutil.Process().children() if p.pid not in before]
    assert all(_gone(pid, 2) for pid in new)  # the engine went with the sweep
    assert not list(tmp_path.glob("r.db.engine-*.pid"))


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b'{"schema_version": 2, "os": \xff\xfe}', "not UTF-8 text (byte 0xff at offset 28)"),
        (
            b'{"schema_version": 2, "cpu": null, "memory": {"total_bytes": "lots", '
            b'"available_bytes": null, "swap_total_bytes": null, "swap_free_bytes": null}, '
            b'"gpus": [], "disks": [], "os": {"system": "Linux", "release": "6", '
            b'"machine": "x86_64", "python_version": "3.11"}, "backends": [], '
            b'"hf_cache_dir": null}',
            "memory.total_bytes must be a whole number, not the string 'lots'",
        ),
        (
            b'{"schema_version": 2, "cpu": null, "memory": [1, 2], "gpus": [], "disks": [], '
            b'"os": {"system": "Linux", "release": "6", "machine": "x86_64", '
            b'"python_version": "3.11"}, "backends": [], "hf_cache_dir": null}',
            "memory must be an object, not a list",
        ),
        (
            b'{"schema_version": 2, "cpu": null, "memory": null, "gpus": {"0": {}}, '
            b'"disks": [], "os": {"system": "Linux", "release": "6", "machine": "x86_64", '
            b'"python_version": "3.11"}, "backends": [], "hf_cache_dir": null}',
            "gpus must be a list, not an object",
        ),
    ],
)
def test_probe_show_of_a_bad_file_is_one_line(tmp_path: Path, content: bytes, words: str) -> None:
    """Before the fix: UnicodeDecodeError's traceback, a profile that crashed the renderer,
    or a message naming a class instead of the field."""
    f = tmp_path / "host.json"
    f.write_bytes(content)
    done = subprocess.run(
        [sys.executable, "-m", "probe.cli", "show", str(f)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    _one_line_error(done.stderr, str(f), words)


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        (
            "r.jsonl",
            '{"n_prompt": 32, "n_gen": 0, "avg_ts": 10.0}\n'
            '{"n_prompt": 32, "n_gen": 0, "avg_ts": "fast"}\n',
            "cannot import line 2: avg_ts must be a number, not 'fast'",
        ),
        (
            "r.csv",
            "n_prompt,n_gen,avg_ts\n32,0,10.0\nx,0,11.0\n",
            "cannot import line 3: n_prompt must be a number, not 'x'",
        ),
        (
            "r.json",
            '[{"n_prompt": 32, "n_gen": 0, "avg_ts": 10.0}, [1, 2]]',
            "cannot import record 2: a record must be a JSON object, not a list",
        ),
        (
            "s.jsonl",
            '{"n_prompt": 32, "n_gen": 0, "avg_ts": 10.0, "samples_ns": {"a": 1}}\n',
            "cannot import line 1: samples_ns must be a list of numbers, not an object",
        ),
    ],
)
def test_report_import_of_wrongly_typed_fields_is_one_line(
    tmp_path: Path, name: str, content: str, words: str
) -> None:
    """Before the fix: ValueError's traceback for avg_ts, and n_prompt "x" silently read as
    0 (a pp0 point) — and nothing stored from a file that is refused."""
    f = tmp_path / name
    f.write_text(content)
    db = tmp_path / "r.db"
    cmd = [sys.executable, "-m", "report.cli", "--db", str(db), "import", str(f)]
    done = subprocess.run(
        [*cmd, "--hardware", "rtx4090"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    _one_line_error(done.stderr, words)
    assert sqlite3.connect(db).execute("SELECT count(*) FROM points").fetchone() == (0,)

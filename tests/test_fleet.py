"""The fleet (issue 16): results bundles exported, imported and merged; the cross-machine
report; the per-machine gate against baseline bundles; the fleet workflow's commands."""

from __future__ import annotations

import json
import re
import shlex
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

import probe
from bench import Calibration, Measurement, Prediction, RunConfig, SpeedPrediction, Store
from bench.records import StoredPoint, SweepInfo
from bench.store import SweepOrigin
from report import _bundle
from report.cli import cli, main
from tests._browser import browse

FIXTURES = Path(__file__).parent / "fixtures" / "fleet"
WORKFLOW = Path(__file__).resolve().parent.parent / ".github" / "workflows" / "fleet.yml"

# Four recorded machines with four different fingerprints.
MACHINES = ("x86-avx512-server", "strix-halo-apu", "apple-m3-max", "arm64-graviton3")
# A llama-bench -o json record's fields (llama.cpp 0c1e570), so bundle sizes are realistic.
ENGINE_RECORD: dict[str, Any] = {
    "build_commit": "0c1e570",
    "build_number": 6500,
    "cpu_info": "AMD EPYC 9654 96-Core Processor",
    "gpu_info": "",
    "backends": "CPU",
    "model_filename": "/root/.cache/huggingface/hub/models--x/snapshots/abc/m-Q4_K_M.gguf",
    "model_type": "llama 8B Q4_K - Medium",
    "model_size": 4920734720,
    "model_n_params": 8030261248,
    "n_batch": 2048,
    "n_ubatch": 512,
    "n_threads": 16,
    "cpu_mask": "0x0",
    "cpu_strict": False,
    "poll": 50,
    "type_k": "f16",
    "type_v": "f16",
    "n_gpu_layers": 99,
    "split_mode": "layer",
    "main_gpu": 0,
    "no_kv_offload": False,
    "flash_attn": True,
    "tensor_split": "0.00",
    "use_mmap": True,
    "embeddings": False,
    "test_time": "2026-11-21T12:00:00Z",
    "avg_ns": 1234567890,
    "stddev_ns": 12345678,
    "avg_ts": 414.7,
    "stddev_ts": 4.1,
}


def _pred(pp: float, tg: float) -> Prediction:
    s = SpeedPrediction(pp, tg, 1.0, "compute", "weights", pp * 2, tg * 1.5, {}, {}, "cpu", 12)
    return Prediction(s, totals_bytes=(300 * 2**20,))


def _measured(cfg: RunConfig, tps: float, record: bool = False) -> Measurement:
    tokens = cfg.n_prompt + cfg.n_gen
    return Measurement(
        "ok",
        avg_ts=tps,
        stddev_ts=tps * 0.01,
        samples_ns=tuple(int(tokens * 1e9 / (tps * f)) for f in (0.99, 1.0, 1.01)),
        peak_rss_bytes=(280 + cfg.n_depth // 64) * 2**20,
        peak_gpu_bytes={"0": 5 * 2**30} if record else None,
        engine_record=dict(ENGINE_RECORD) if record else None,
    )


def _points(speed: float, depths: tuple[int, ...], ubatches: tuple[int, ...]) -> list[Any]:
    """(key, config, prediction, measurement) of a sweep: pp per ubatch and tg per depth, plus
    one failed and one skipped point."""
    out: list[Any] = []
    for depth in depths:
        for ub in ubatches:
            cfg = RunConfig(n_prompt=512, n_gen=0, n_depth=depth, n_ubatch=ub, n_threads=16)
            pp = (400 - depth / 100 + ub / 10) * speed
            out.append((f"pp{depth}-{ub}", cfg, _pred(380 - depth / 80, 0), pp))
        cfg = RunConfig(n_prompt=0, n_gen=128, n_depth=depth, n_threads=16)
        out.append((f"tg{depth}", cfg, _pred(0, 48 - depth / 2500), (50 - depth / 2000) * speed))
    return out


def make_store(
    path: Path,
    host: probe.HostProfile,
    speed: float = 1.0,
    depths: tuple[int, ...] = (0, 1024),
    ubatches: tuple[int, ...] = (128, 512),
    created_at: str = "2026-11-21T12:00:00+00:00",
    record: bool = False,
) -> Path:
    """A store with one sweep of ``host`` (points written in one transaction, as an import
    does), a calibration, one failed (oom) and one skipped point."""
    store = Store.open(path)
    fp = store.add_host(host)
    store.save_calibration(fp, "cpu", Calibration(0.9, 0.8, 1.0, 12, 0.05), "1")
    model = {
        "repo": "rigbench-test/synth-llama-GGUF",
        "revision": "0123abc",
        "quant": "Q4_K_M",
        "file": "m.gguf",
        "files": ["m.gguf"],
        "sha256": "ab" * 32,
        "size_bytes": 150 * 2**20,
    }
    engine = {"kind": "llama-bench", "version": "0.5.0-dev", "build_commit": "0c1e570"}
    info = SweepInfo(0, created_at, fp, model, None, engine, {"repetitions": 3}, "done")
    pts = [
        StoredPoint(0, 0, key, created_at, fp, cfg, pred, _measured(cfg, tps, record))
        for key, cfg, pred, tps in _points(speed, depths, ubatches)
    ]
    cfg = RunConfig(n_prompt=0, n_gen=128, n_depth=65536, n_threads=16)
    oom = Measurement("failed", failure_class="oom", stderr_tail="failed to allocate", returncode=1)
    pts.append(StoredPoint(0, 0, "oom", created_at, fp, cfg, _pred(0, 20), oom))
    cfg = RunConfig(n_prompt=0, n_gen=128, n_depth=999999, n_threads=16)
    skip = Measurement("skipped", skip_rule="predicted memory exceeds the device budget")
    pts.append(StoredPoint(0, 0, "skip", created_at, fp, cfg, None, skip))
    store.insert_sweep(info, SweepOrigin("k0"), pts)
    store.close()
    return path


@click.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.pass_context
def _report(ctx: click.Context) -> None:
    """`report` as its console script runs it: UserError mapped to one line and exit 1."""
    main(ctx.args)


def run(*args: str) -> Result:
    return CliRunner().invoke(_report, list(args))


@pytest.fixture
def hosts(machine: Callable[..., Any]) -> list[probe.HostProfile]:
    return [probe.detect(context=machine(name)) for name in MACHINES]


def _export(db: Path, out: Path, label: str | None = None) -> Path:
    res = run(
        "--db",
        str(db),
        "export",
        "--latest",
        "-o",
        str(out),
        *(["--label", label] if label else []),
    )
    assert res.exit_code == 0, res.output
    return out


def _snapshot(db: Path) -> list[tuple[Any, ...]]:
    """Everything a store says about its sweeps, without the ids it chose."""
    store = Store.open(db, readonly=True)
    try:
        out = []
        for s in store.sweeps():
            origin = store.sweep_origin(s.id)
            pts = [
                (p.key, p.created_at, p.config, p.prediction, p.measurement)
                for p in store.points(sweep_id=s.id)
            ]
            host = store.host_profile(s.host_fingerprint)
            cals = store.calibrations(s.host_fingerprint)
            info = (s.created_at, s.host_fingerprint, s.model, s.engine, s.args, s.status)
            out.append((info, origin, pts, host, cals))
        return out
    finally:
        store.close()


# -- bundles ---------------------------------------------------------------------------------


def test_bundle_round_trips(hosts: list[probe.HostProfile], tmp_path: Path) -> None:
    db = make_store(tmp_path / "a.db", hosts[0], record=True)
    bundle = _export(db, tmp_path / "a.rigbench.json", "self-hosted-gpu-cuda")
    data = json.loads(bundle.read_text())
    assert list(data)[:2] == ["format", "schema_version"] and data["schema_version"] == 2
    point = data["sweeps"][0]["points"][0]
    assert point["measurement"]["samples_ns"] and point["prediction"]["speed"]["predictor_version"]
    assert data["calibrations"][0]["k_bw"] == 0.9 and data["sweeps"][0]["model"]["sha256"]
    res = run("--db", str(tmp_path / "b.db"), "import", str(bundle))
    assert res.exit_code == 0, res.output
    before, after = _snapshot(db), _snapshot(tmp_path / "b.db")
    assert after[0][1] == SweepOrigin("k0", "self-hosted-gpu-cuda")
    # The same points, samples, predictions, host and calibration; the label is new.
    assert [b[:1] + b[2:] for b in before] == [a[:1] + a[2:] for a in after]
    assert len(after[0][2]) == 8  # 6 measured, 1 failed, 1 skipped


def test_importing_twice_adds_nothing(hosts: list[probe.HostProfile], tmp_path: Path) -> None:
    bundle = _export(make_store(tmp_path / "a.db", hosts[0]), tmp_path / "a.rigbench.json")
    merged = str(tmp_path / "m.db")
    first = run("--db", merged, "import", str(bundle))
    second = run("--db", merged, "import", str(bundle), str(bundle))
    assert first.exit_code == second.exit_code == 0
    assert first.stdout.split() == ["1"] and second.stdout == ""
    assert "1 already there" in second.stderr
    assert len(_snapshot(tmp_path / "m.db")) == 1
    # Importing a store's own export into it adds nothing either.
    res = run("--db", str(tmp_path / "a.db"), "import", str(bundle))
    assert res.exit_code == 0 and len(_snapshot(tmp_path / "a.db")) == 1


def test_a_newer_bundle_is_refused_in_one_line(
    hosts: list[probe.HostProfile], tmp_path: Path
) -> None:
    bundle = _export(make_store(tmp_path / "a.db", hosts[0]), tmp_path / "a.rigbench.json")
    data = json.loads(bundle.read_text())
    data["schema_version"] = 3
    bundle.write_text(json.dumps(data))
    res = run("--db", str(tmp_path / "m.db"), "import", str(bundle))
    assert res.exit_code == 1
    err = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert err == [f"error: {bundle} is a bundle of schema 3; this rigbench reads up to 2"]
    assert "Traceback" not in res.output


def test_an_older_bundle_is_upgraded(tmp_path: Path) -> None:
    res = run("--db", str(tmp_path / "m.db"), "import", str(FIXTURES / "v1.rigbench.json"))
    assert res.exit_code == 0, res.output
    [(info, origin, pts, host, _)] = _snapshot(tmp_path / "m.db")
    assert info[0] == "2026-10-02T07:00:00+00:00" and info[2]["quant"] == "F16"
    assert origin == SweepOrigin("0f3c9a1b2d4e5f60", None)
    assert host is not None and host.gpus[0].name == "Radeon 8060S"
    ok, failed = pts
    assert ok[4].samples_ns == (540000000, 538000000, 539000000) and ok[4].avg_ts == 950.0
    assert ok[3].speed.pp_tokens_per_s == 1000.0
    assert failed[4].failure_class == "oom" and failed[3] is None


def _hostile(tmp_path: Path, text: str | bytes) -> Result:
    f = tmp_path / "bad.rigbench.json"
    f.write_bytes(text.encode() if isinstance(text, str) else text)
    return run("--db", str(tmp_path / "m.db"), "import", str(f))


def _good(hosts: list[probe.HostProfile], tmp_path: Path) -> dict[str, Any]:
    bundle = _export(make_store(tmp_path / "a.db", hosts[0]), tmp_path / "a.rigbench.json")
    return dict(json.loads(bundle.read_text()))


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            lambda d: d["sweeps"][0]["points"][0]["measurement"].update(samples_ns="12"),
            "samples_ns",
        ),
        (lambda d: d["sweeps"][0]["points"][0]["config"].update(n_depth="4k"), "n_depth must be"),
        (
            lambda d: d["sweeps"][0]["points"][1].update(key=d["sweeps"][0]["points"][0]["key"]),
            "twice",
        ),
        (lambda d: d["sweeps"][0]["points"][0]["measurement"].update(status="great"), "status"),
        (lambda d: d["sweeps"][0].update(points={"a": 1}), "must be a list"),
        (lambda d: d["sweeps"][0].update(created_at="yesterday"), "ISO 8601"),
        (lambda d: d["host"]["profile"].update(gpus="none"), "host.profile"),
        (lambda d: d.update(label="a\nb"), "label"),
        (
            lambda d: d["sweeps"][0]["points"][0]["prediction"]["speed"].update(
                tg_tokens_per_s=[1]
            ),
            "tg_tokens_per_s",
        ),
        (
            lambda d: d["sweeps"][0]["points"][0]["measurement"].update(samples_ns=[1] * 10_001),
            "10,000",
        ),
    ],
)
def test_a_malformed_bundle_is_one_line_naming_the_field(
    hosts: list[probe.HostProfile],
    tmp_path: Path,
    change: Callable[[dict[str, Any]], None],
    says: str,
) -> None:
    data = _good(hosts, tmp_path)
    change(data)
    res = _hostile(tmp_path, json.dumps(data))
    assert res.exit_code == 1, res.output
    err = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(err) == 1 and says in err[0] and "Traceback" not in res.output, res.output
    assert not (tmp_path / "m.db").exists() or not _snapshot(tmp_path / "m.db")


@pytest.mark.parametrize(
    "text",
    [
        '{"format": "rigbench-bundle", "schema_version": 2, "sweeps": [',
        '{"format": "rigbench-bundle", "schema_version": 2, "x": NaN}',
        '{"format": "rigbench-bundle", "schema_version": 2, "x": '
        + "[" * 100_000
        + "]" * 100_000
        + "}",
        b'{"format": "rigbench-bundle", "schema_version": 2, "label": "\xff"}',
        '{"format": "rigbench-bundle", "schema_version": "2"}',
        '{"format": "rigbench-bundle", "schema_version": 2}',
    ],
    ids=["truncated", "nan", "deep", "not-utf8", "string-version", "empty"],
)
def test_hostile_bundle_files_are_one_line(tmp_path: Path, text: str | bytes) -> None:
    res = _hostile(tmp_path, text)
    assert res.exit_code == 1, res.output
    assert res.stderr.count("error:") == 1 and "Traceback" not in res.output, res.output


def test_an_oversized_bundle_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_bundle, "MAX_BYTES", 1000)
    res = _hostile(tmp_path, '{"format": "rigbench-bundle", "x": "' + "a" * 2000 + '"}')
    assert (res.exit_code == 1 and "over 0 MiB" in res.stderr) or "MiB" in res.stderr


def test_llama_bench_files_still_import_beside_bundles(
    hosts: list[probe.HostProfile], tmp_path: Path
) -> None:
    bundle = _export(make_store(tmp_path / "a.db", hosts[0]), tmp_path / "a.rigbench.json")
    jsonl = tmp_path / "lb.jsonl"
    jsonl.write_text(json.dumps(ENGINE_RECORD | {"n_prompt": 512, "n_gen": 0, "n_depth": 0}) + "\n")
    assert _bundle.is_bundle(bundle) and not _bundle.is_bundle(jsonl)
    res = run(
        "--db", str(tmp_path / "m.db"), "import", str(bundle), str(jsonl), "--hardware", "rtx4090"
    )
    assert res.exit_code == 0, res.output
    assert res.stdout.split() == ["1", "2"]


def test_export_refuses_sweeps_of_two_machines(
    hosts: list[probe.HostProfile], tmp_path: Path
) -> None:
    db = tmp_path / "m.db"
    for i in (0, 1):
        b = _export(make_store(tmp_path / f"{i}.db", hosts[i]), tmp_path / f"{i}.rigbench.json")
        assert run("--db", str(db), "import", str(b)).exit_code == 0
    res = run("--db", str(db), "export", "--sweep", "1,2")
    assert res.exit_code == 1 and "2 machines; a bundle holds one" in res.stderr


def test_a_schema_1_store_is_upgraded_and_read(
    hosts: list[probe.HostProfile], tmp_path: Path
) -> None:
    db = make_store(tmp_path / "a.db", hosts[0])
    conn = sqlite3.connect(db)
    conn.execute("ALTER TABLE sweeps DROP COLUMN label")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    ro = Store.open(db, readonly=True)
    assert ro.sweep_origin(1) == SweepOrigin("k0", None)
    ro.close()
    _export(db, tmp_path / "a.rigbench.json", "x")  # a read-only export of the old store
    Store.open(db).close()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta").fetchone()[0] == "5"  # 1 -> 2 -> 3 -> 4 -> 5
    assert "label" in [r[1] for r in conn.execute("PRAGMA table_info(sweeps)")]
    conn.close()


def test_a_schema_3_store_gets_the_batched_bench_column(
    hosts: list[probe.HostProfile], tmp_path: Path
) -> None:
    db = make_store(tmp_path / "a.db", hosts[0])
    store = Store.open(db)  # a run written before schema 4 ...
    store.conn.execute("ALTER TABLE serve_runs DROP COLUMN batched_bench_json")
    store.conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    store.start_serve("fp", {"file": "m"}, {}, {"users": [1]}, None)
    store.close()
    ro = Store.open(db, readonly=True)
    (old,) = ro.serve_runs()  # ... read as it is: no batched-bench rows, null as in schema 4
    assert old["batched_bench"] is None
    ro.close()
    Store.open(db).close()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta").fetchone()[0] == "5"
    assert "batched_bench_json" in [r[1] for r in conn.execute("PRAGMA table_info(serve_runs)")]
    conn.close()


def test_a_schema_4_store_gets_the_socket_factor_column(
    hosts: list[probe.HostProfile], tmp_path: Path
) -> None:
    db = make_store(tmp_path / "a.db", hosts[0])
    store = Store.open(db)  # a calibration stored before schema 5 ...
    store.conn.execute("ALTER TABLE calibrations DROP COLUMN k_socket")
    store.conn.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    store.conn.execute(
        "INSERT OR REPLACE INTO calibrations VALUES ('fp', 'cpu', 0.9, 1.1, 1.0, 6, 0.05, "
        "'2026-01-01T00:00:00Z', '26')"
    )
    store.close()
    ro = Store.open(db, readonly=True)  # ... read as it is: k_bw scales both caps
    assert ro.calibrations("fp")["cpu"] == (Calibration(0.9, 1.1, 1.0, 6, 0.05, None), "26")
    ro.close()
    store = Store.open(db)
    store.save_calibration("fp", "cpu", Calibration(0.6, 1.2, 1.0, 8, 0.04, 1.3), "27")
    assert store.calibrations("fp")["cpu"] == (Calibration(0.6, 1.2, 1.0, 8, 0.04, 1.3), "27")
    store.close()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta").fetchone()[0] == "5"
    conn.close()


# -- the fleet report ------------------------------------------------------------------------


def _fleet_db(
    hosts: list[probe.HostProfile], tmp_path: Path, speeds: tuple[float, ...], name: str = "m"
) -> Path:
    """A merged store: machine i at speeds[i], exported with label gpu-i (machine 1 without
    a label: it is known by its fingerprint)."""
    db = tmp_path / f"{name}.db"
    for i, speed in enumerate(speeds):
        src = make_store(tmp_path / f"{name}{i}.db", hosts[i], speed=speed)
        label = None if i == 1 else f"gpu-{i}"
        b = _export(src, tmp_path / f"{name}{i}.rigbench.json", label)
        res = run("--db", str(db), "import", str(b))
        assert res.exit_code == 0, res.output
    return db


def test_two_machines_merged_give_one_fleet_report(
    hosts: list[probe.HostProfile], tmp_path: Path
) -> None:
    db = _fleet_db(hosts, tmp_path, (1.0, 0.5))
    fp1 = Store.open(db, readonly=True).sweeps()[1].host_fingerprint
    res = run("--db", str(db), "fleet", "--format", "json", "--depth", "1024")
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["schema_version"] == 3
    assert [m["machine"] for m in data["machines"]] == ["gpu-0", fp1]
    assert data["machines"][0]["failed"] == [{"test": "tg128@d65536", "why": "oom"}]
    assert data["machines"][0]["calibrations"]["cpu"]["k_bw"] == 0.9
    ranking = data["ranking"]["rigbench-test/synth-llama-GGUF:Q4_K_M"]
    assert [r["machine"] for r in ranking] == ["gpu-0", fp1] and ranking[0]["depth"] == 1024
    cell = next(c for c in data["cells"] if c["test"] == "pp512" and c["machine"] == "gpu-0")
    assert cell["configs"] == 2 and cell["measured_tokens_per_s"] == pytest.approx(451.2)
    assert cell["error"] == pytest.approx(380 / 451.2 - 1)
    md = run("--db", str(db), "fleet", "--format", "md").stdout
    assert "| test | gpu-0 | " + fp1 + " |" in md and "Which machine" in md
    html = run("--db", str(db), "fleet", "--format", "html").stdout
    assert (
        "<svg" in html
        and "gpu-0" in html
        and "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    )
    page = tmp_path / "fleet.html"
    page.write_text(html)
    seen = browse(page, tmp_path)  # as a reader opens it: drawn, and nothing fetched
    assert seen.colors > 40 and seen.page_requests == []
    assert "<svg" in seen.dom and fp1 in seen.dom
    text = run("--db", str(db), "fleet").stdout
    assert "gpu-0" in text and fp1 in text


def test_fleet_markdown_of_a_large_fleet_fits_a_job_summary(
    hosts: list[probe.HostProfile], tmp_path: Path
) -> None:
    db = tmp_path / "m.db"
    depths = tuple(range(0, 250 * 128, 128))  # 250 depths x (3 pp + 1 tg) + 2 = 1,002 points
    sizes = []
    for i, host in enumerate(hosts):
        src = make_store(
            tmp_path / f"{i}.db", host, depths=depths, ubatches=(128, 256, 512), record=True
        )
        b = _export(src, tmp_path / f"{i}.rigbench.json", f"runner-{i}")
        sizes.append(b.stat().st_size)
        assert run("--db", str(db), "import", str(b)).exit_code == 0
    res = run("--db", str(db), "fleet", "--format", "md")
    assert res.exit_code == 0, res.output
    size = len(res.stdout.encode())
    print(
        f"bundle of a {len(depths) * 4 + 2}-point sweep: {sizes[0] / 2**10:.0f} KiB; "
        f"fleet Markdown of {len(hosts)} machines: {size / 2**10:.1f} KiB"
    )
    assert size < 200 * 2**10
    assert "more tests in the HTML or JSON report" in res.stdout


# -- the gate --------------------------------------------------------------------------------


def _baselines(hosts: list[probe.HostProfile], tmp_path: Path, speeds: tuple[float, ...]) -> Path:
    db = _fleet_db(hosts, tmp_path, speeds, name="base")
    out = tmp_path / "baseline"
    res = run("--db", str(db), "baseline", "update", "--dir", str(out))
    assert res.exit_code == 0, res.output
    assert len(res.stdout.split()) == len(speeds)
    return out


def test_the_gate_flags_only_the_machine_that_regressed(
    hosts: list[probe.HostProfile], tmp_path: Path
) -> None:
    baseline = _baselines(hosts, tmp_path, (1.0, 1.0))
    assert "gpu-0.rigbench.json" in {p.name for p in baseline.iterdir()}
    db = _fleet_db(hosts, tmp_path, (1.0, 0.8), name="cand")
    res = run("--db", str(db), "gate", "--baseline", str(baseline), "--max-regression", "5%")
    assert res.exit_code == 1, res.output
    fp1 = Store.open(db, readonly=True).sweeps()[1].host_fingerprint
    regressed = [line for line in res.stdout.splitlines() if line.startswith("  REGRESSION")]
    assert regressed and all(f"REGRESSION {fp1} " in line for line in regressed)
    assert len(regressed) == 6  # every measured cell of the slowed machine
    assert re.search(r"^ok\s+gpu-0 .*: 6 points vs gpu-0.rigbench.json, 0 slower", res.stdout, re.M)
    assert f"on {fp1}" in res.stderr


def test_a_missing_baseline_is_reported_not_fatal(
    hosts: list[probe.HostProfile], tmp_path: Path
) -> None:
    baseline = _baselines(hosts, tmp_path, (1.0,))
    db = _fleet_db(hosts, tmp_path, (1.0, 1.0), name="cand")
    res = run("--db", str(db), "gate", "--baseline", str(baseline))
    assert res.exit_code == 0, res.output
    assert re.search(r"^no baseline\s+\w+ rigbench-test", res.stdout, re.M)
    assert "1 machine/model(s) have no baseline" in res.stderr
    slow = _fleet_db(hosts, tmp_path, (0.7, 1.0), name="slow")
    res = run("--db", str(slow), "gate", "--baseline", str(baseline / "gpu-0.rigbench.json"))
    assert res.exit_code == 1 and "regressed by more than 5%" in res.stderr


def test_no_baselines_yet_is_reported_not_fatal(
    hosts: list[probe.HostProfile], tmp_path: Path
) -> None:
    """A repository's first run: baseline/ missing or empty, every machine reported."""
    db = _fleet_db(hosts, tmp_path, (1.0, 1.0), name="cand")
    (tmp_path / "empty").mkdir()
    for where in (tmp_path / "missing", tmp_path / "empty"):
        res = run("--db", str(db), "gate", "--baseline", str(where))
        assert res.exit_code == 0, res.output
        assert len(re.findall(r"^no baseline ", res.stdout, re.M)) == 2
        assert "2 machine/model(s) have no baseline" in res.stderr
        assert "report baseline update" in res.stderr


def test_the_gate_still_takes_a_sweep_id(hosts: list[probe.HostProfile], tmp_path: Path) -> None:
    db = _fleet_db(hosts, tmp_path, (1.0,))
    res = run("--db", str(db), "gate", "--baseline", "1", "--candidate", "1")
    assert res.exit_code == 0 and res.stdout.startswith("ok"), res.output
    res = run("--db", str(db), "gate", "--baseline", "nowhere/gpu-0.rigbench.json")
    assert res.exit_code == 1 and "no baseline sweep id or bundle" in res.stderr
    res = run("--db", str(db), "gate", "--baseline", "1", "--max-regression", "lots")
    assert res.exit_code == 1 and "--max-regression" in res.stderr


# -- the workflow ----------------------------------------------------------------------------


def test_fleet_workflow_commands_use_flags_that_exist() -> None:
    from bench.cli import cli as bench
    from probe.cli import cli as probe_cli

    text = WORKFLOW.read_text()
    assert "fail-fast: false" in text and "GITHUB_STEP_SUMMARY" in text
    for labels in (
        "[self-hosted, gpu, cuda]",
        "[self-hosted, gpu, rocm]",
        "[self-hosted, macos, arm64]",
        "[self-hosted, strix-halo, vulkan]",
    ):
        assert labels in text
    tools = {"probe": probe_cli, "bench": bench, "report": cli}
    joined = re.sub(r"\$\{\{[^}]*\}\}", "x", text.replace("\\\n", " "))
    lines = re.findall(r"\.venv/bin/(\w+ [^\n|>]*)", joined)
    checked = [line for line in lines if line.split()[0] in tools]
    assert {line.split()[1] for line in checked if line.startswith("report")} >= {
        "export",
        "import",
        "fleet",
        "gate",
    }
    for line in checked:
        words = shlex.split(line)
        args = [w for w in words[1:] if w != "||"]
        res = CliRunner().invoke(tools[words[0]], [*args, "--help"])
        assert res.exit_code == 0, (line, res.output)

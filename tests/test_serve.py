"""`bench serve` (issue 17): the streaming client against a strict fake llama-server, the
server's supervision (never healthy, Ctrl-C, crash, timeout), the real llama-server on a tiny
synthetic model, serving predictions, and energy counters (RAPL tree, NVML and amdsmi fakes)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from click.testing import CliRunner

import probe
from bench.cli import cli, main
from bench.model import SynthSpec, spec_from_shape, spec_from_synth, synthesize
from bench.predictor import predict_serving, serving_memory
from bench.predictor._serving import _Costs
from bench.records import MemConfig, RunConfig
from bench.run import _batched, _engines, _serve
from bench.store import Store
from probe import ProbeContext
from tests.conftest import REAL_LLAMA_BENCH
from tests.fakes.amdsmi import FakeAmdSmi
from tests.fakes.nvml import FakeNVML

ROOT = Path(__file__).resolve().parents[1]
TINY = SynthSpec(
    n_layer=2, n_embd=256, n_head=4, n_head_kv=2, n_ff=512, n_vocab=2048, n_ctx=1024, quant="Q8_0"
)


def fake_argv(port: int, slots: int = 2) -> list[str]:
    server = _serve.server_argv(Path("x"), Path("m.gguf"), ["-ngl", "0"], 4096, slots, port)
    return [sys.executable, "-m", "tests.fakes.llama_server", *server[1:]]


@pytest.fixture
def fake_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.chdir(ROOT)
    for k in list(os.environ):
        if k.startswith("FAKE_"):
            monkeypatch.delenv(k)
    return monkeypatch


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


# -- the client on the fake server ------------------------------------------------------------


def test_one_user_ttft_itl_and_tokens(fake_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_env.setenv("FAKE_TTFT_S", "0.05")
    fake_env.setenv("FAKE_ITL_S", "0.01")
    port = _serve.free_port()
    with _serve.running_server(fake_argv(port), port, tmp_path / "log", 20) as proc:
        wall, recs = _serve.drive_level(port, 1, 16, 5, list(range(10, 50)), 0.2, 2, 10)
    assert gone(proc.pid)
    assert len(recs) == 2 and all(r.error is None for r in recs)
    r = recs[0]
    assert 0.05 <= r.ttft_s < 0.2  # type: ignore[operator]
    assert r.gen_tokens == 5 and r.prompt_tokens == 16 and len(r.gaps_s) == 4
    assert all(0.004 <= g < 0.1 for g in r.gaps_s)  # 10 ms apart, give or take scheduling
    assert r.queue_s is not None and r.queue_s < 0.05
    level = _serve.LevelResult(1, 16, 5, wall, tuple(recs), {"joules": None})
    s = level.stats(0.3)
    assert s["errors"] == 0 and s["generated_tokens"] == 10
    assert s["ttft_p50_s"] <= s["ttft_p95_s"]
    assert 50 < s["per_user_tokens_per_s"] <= 110  # one token every ~10 ms
    assert s["aggregate_tokens_per_s"] == pytest.approx(10 / wall)
    assert s["joules_per_token"] is None and s["cost_per_million_tokens"] is None


def test_two_users_queue_behind_each_others_prefill(
    fake_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_env.setenv("FAKE_TTFT_S", "0.2")
    port = _serve.free_port()
    with _serve.running_server(fake_argv(port), port, tmp_path / "log", 20):
        _, recs = _serve.drive_level(port, 2, 8, 2, [7], 0.01, 1, 10)
    ttfts = sorted(r.ttft_s for r in recs)  # type: ignore[type-var]
    assert ttfts[0] < 0.35 and ttfts[1] >= 0.39  # the second waited for the first's prefill
    queues = sorted(r.queue_s for r in recs)  # type: ignore[type-var]
    assert queues[0] < 0.1 and queues[1] >= 0.15


def test_a_level_is_bounded_in_time(fake_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fake_env.setenv("FAKE_ITL_S", "0.005")
    port = _serve.free_port()
    with _serve.running_server(fake_argv(port), port, tmp_path / "log", 20):
        t = time.perf_counter()
        _, recs = _serve.drive_level(port, 2, 4, 3, [7], 0.3, 10_000, 10)
        assert time.perf_counter() - t < 2
    # No request is started after 0.3 s: sent_s is stamped just after that decision (the
    # connection is opened in between), so a loaded machine may stamp a few ms past it.
    assert recs and max(r.sent_s for r in recs) < 0.3 + 0.05


def test_a_request_past_its_timeout_is_an_error(
    fake_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_env.setenv("FAKE_ITL_S", "5")
    port = _serve.free_port()
    with _serve.running_server(fake_argv(port), port, tmp_path / "log", 20) as proc:
        t = time.perf_counter()
        _, recs = _serve.drive_level(port, 1, 4, 3, [7], 0.01, 1, 0.5)
        assert time.perf_counter() - t < 3
    assert recs[0].error and "timed out" in recs[0].error
    assert gone(proc.pid)


# -- supervision ------------------------------------------------------------------------------


def test_never_healthy_fails_once_with_the_log_tail(
    fake_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_env.setenv("FAKE_NEVER_HEALTHY", "1")
    port = _serve.free_port()
    with (
        pytest.raises(_serve.ServerFailed) as err,
        _serve.running_server(fake_argv(port), port, tmp_path / "log", 1.0),
    ):
        pytest.fail("yielded an unhealthy server")
    assert "not healthy after 1 s" in str(err.value)
    assert '"GET /health HTTP/1.1" 503' in err.value.log_tail  # the server's last words
    assert not [p for p in psutil.Process().children(recursive=True) if not gone(p.pid)]


def test_a_server_that_exits_at_start_says_why(
    fake_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_env.setenv("FAKE_EXIT_AT_START", "1")
    port = _serve.free_port()
    with (
        pytest.raises(_serve.ServerFailed) as err,
        _serve.running_server(fake_argv(port), port, tmp_path / "log", 20),
    ):
        pass
    assert "exited 1 before it was healthy" in str(err.value)
    assert "error loading model" in err.value.log_tail


def test_ctrl_c_stops_the_server(fake_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    port = _serve.free_port()
    pid = None
    with (
        pytest.raises(KeyboardInterrupt),
        _serve.running_server(fake_argv(port), port, tmp_path / "log", 20) as proc,
    ):
        pid = proc.pid
        raise KeyboardInterrupt
    assert pid is not None and gone(pid)


def test_a_crashed_server_fails_its_requests_and_is_reaped(
    fake_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_env.setenv("FAKE_CRASH_AFTER", "1")
    port = _serve.free_port()
    with _serve.running_server(fake_argv(port), port, tmp_path / "log", 20) as proc:
        _, recs = _serve.drive_level(port, 1, 4, 2, [7], 5.0, 2, 5)
        assert proc.wait(timeout=5) == 3
    assert [r.error is None for r in recs] == [True, False]
    assert gone(proc.pid)


def test_bench_serve_reports_an_unhealthy_server_in_one_line(
    fake_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_env.setenv("FAKE_EXIT_AT_START", "1")
    wrapper = tmp_path / "llama-server"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m tests.fakes.llama_server "$@"\n')
    wrapper.chmod(0o755)
    model = synthesize(TINY).path
    args = ["serve", "-m", str(model), "--ctx", "512", "--users", "1", "--prompt", "8"]
    with pytest.raises(SystemExit) as done:
        main([*args, "--gen", "2", "--llama-server", str(wrapper)])
    err = capsys.readouterr().err
    assert done.value.code == 1
    assert "error: llama-server exited 1 before it was healthy" in err
    assert "error loading model" in err and "hint:" in err


def test_bench_serve_on_the_fake_renders_measured_beside_predicted(
    fake_env: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_env.setenv("FAKE_ITL_S", "0.002")
    wrapper = tmp_path / "llama-server"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} -m tests.fakes.llama_server "$@"\n')
    wrapper.chmod(0o755)
    model = synthesize(TINY).path
    args = ["serve", "-m", str(model), "--ctx", "256", "--users", "1,2", "--prompt", "8,200"]
    args += ["--gen", "4", "--duration", "0.2s", "--llama-server", str(wrapper)]
    main([*args, "--format", "json"])  # returns: exit 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema_version"] == _serve.SCHEMA_VERSION
    levels = {(lv["users"], lv["n_prompt"]): lv for lv in data["levels"]}
    assert levels[(2, 8)]["stats"]["errors"] == 0 and levels[(2, 8)]["requests"]
    assert "exceed a slot's 128 tokens" in levels[(2, 200)]["skipped"]  # 256 / 2 slots
    assert "not found beside llama-server" in data["batched_bench_error"]
    fake_env.setenv("COLUMNS", "200")
    main([*args[:5], "--users", "1", "--prompt", "8", *args[9:]])
    out = capsys.readouterr().out
    assert "measured (predicted)" in out and "TTFT p50" in out


# -- the real llama-server ------------------------------------------------------------------


@pytest.fixture
def llama_server() -> Path:
    """The llama-server built beside llama-bench; a missing build fails (never skips)."""
    server = Path(REAL_LLAMA_BENCH).parent / "llama-server" if REAL_LLAMA_BENCH else None
    if server is None or not server.is_file():
        pytest.fail("llama-server is not built: run `bench engines build`")
    return server


def test_real_llama_server_one_and_two_users(llama_server: Path, tmp_path: Path) -> None:
    model = synthesize(TINY).path
    req = _serve.ServeRequest(
        model=str(model), ctx=512, users=(1, 2), prompts=(32,), n_gen=8, duration_s=1.5,
        max_requests=20, request_timeout_s=60, llama_server=str(llama_server), threads=2,
        db=tmp_path / "results.db",
    )  # fmt: skip
    outcome = _serve.run_serve(req)
    assert outcome.exit_status == 0, outcome.reason
    for lv in outcome.levels:
        s = lv.stats(0.3)
        assert s["requests"] >= 1 and s["errors"] == 0
        assert all(r.prompt_tokens == 32 and r.gen_tokens == 8 for r in lv.requests)
        assert 0 < s["ttft_p50_s"] < 5 and s["per_user_tokens_per_s"] > 1
        assert lv.energy["joules"] is not None or lv.energy["reason"]
    assert "-np" in outcome.server_argv and "--cont-batching" in outcome.server_argv
    assert outcome.batched_bench_error is None
    assert {(r["pl"], r["pp"]) for r in outcome.batched_bench} == {(1, 32), (2, 32)}
    data = json.loads(json.dumps(_serve.outcome_to_dict(outcome)))
    assert data["schema_version"] == _serve.SCHEMA_VERSION
    assert data["prediction"]["predictor_version"]
    # the store has the levels and the engine-side ceiling; the run is done only after both
    store = Store.open(req.db, readonly=True)
    (run,) = store.serve_runs()
    store.close()
    assert run["status"] == "done" and len(run["levels"]) == 2
    assert run["batched_bench"]["rows"] == json.loads(json.dumps(list(outcome.batched_bench)))


# -- predictions ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def host() -> probe.HostProfile:
    return probe.load_host(hardware=probe.catalog_names()[0])


def test_aggregate_decode_rises_with_users_and_saturates(host: probe.HostProfile) -> None:
    spec = spec_from_synth(dataclasses.replace(TINY, n_layer=8, n_embd=1024, n_ff=2816))
    users = [1, 2, 4, 8, 16, 32, 64]
    p = predict_serving(spec, host, RunConfig(n_gpu_layers=0), 65536, users, [64], 128, None, "cpu")
    agg = [p.level(n, 64).aggregate_tokens_per_s for n in users]  # type: ignore[union-attr]
    assert all(b > a for a, b in itertools.pairwise(agg))
    assert agg[-1] / agg[-2] < 1.05 < agg[1] / agg[0]  # flat at the end, rising at the start
    per_user = [p.level(n, 64).per_user_tokens_per_s for n in users]  # type: ignore[union-attr]
    assert per_user[-1] < per_user[0]
    assert p.level(64, 64).decode_bound in ("compute", "kv_cache")  # type: ignore[union-attr]


def test_ttft_grows_with_prompt_length(host: probe.HostProfile) -> None:
    spec = spec_from_synth(TINY)
    p = predict_serving(spec, host, RunConfig(n_gpu_layers=0), 32768, [1, 4], [128, 1024, 8192],
                        64, None, "cpu")  # fmt: skip
    ttft = [p.level(1, n).ttft_s for n in (128, 1024, 8192)]  # type: ignore[union-attr]
    assert ttft[0] < ttft[1] < ttft[2]
    assert p.level(4, 1024).ttft_burst_s > p.level(4, 1024).ttft_s  # type: ignore[union-attr]
    assert not p.level(4, 8192).fits_slot  # type: ignore[union-attr]  # 8192 > 32768 / 4 - 64


def test_kv_memory_of_ctx_is_split_over_slots() -> None:
    spec = spec_from_synth(TINY)
    one, four = (
        serving_memory(spec, MemConfig(n_ctx=8192), 1),
        serving_memory(spec, MemConfig(n_ctx=8192), 4),
    )
    assert one.kv_bytes == four.kv_bytes > 0
    assert four.ctx_per_slot == 2048 and four.kv_bytes_per_slot == one.kv_bytes // 4


# -- energy -----------------------------------------------------------------------------------


def rapl_tree(root: Path, zones: dict[str, tuple[str, int, int]]) -> None:
    for zone, (name, uj, wrap) in zones.items():
        d = root / "sys/class/powercap" / zone
        d.mkdir(parents=True)
        (d / "name").write_text(name + "\n")
        (d / "energy_uj").write_text(f"{uj}\n")
        (d / "max_energy_range_uj").write_text(f"{wrap}\n")


def ctx(root: Path, nvml: Any = None, amdsmi: Any = None) -> ProbeContext:
    def missing() -> Any:
        raise ImportError("not installed")

    return ProbeContext(
        root=root,
        load_nvml=(lambda: nvml) if nvml else missing,
        load_amdsmi=(lambda: amdsmi) if amdsmi else missing,
    )


def test_rapl_package_and_dram_summed_across_a_wrap(tmp_path: Path) -> None:
    rapl_tree(
        tmp_path,
        {
            "intel-rapl:0": ("package-0", 999_000_000, 1_000_000_000),
            "intel-rapl:0:0": ("core", 5, 1_000_000_000),  # a sub-zone: inside the package
            "intel-rapl:1": ("psys", 0, 1_000_000_000),  # the platform: overlaps, skipped
            "intel-rapl:2": ("dram", 1_000_000, 1_000_000_000),
        },
    )
    meter = probe.energy_meter(ctx(tmp_path))
    meter.start()
    base = tmp_path / "sys/class/powercap"
    (base / "intel-rapl:0/energy_uj").write_text("4000000\n")  # wrapped: +5 J
    (base / "intel-rapl:2/energy_uj").write_text("3000000\n")  # +2 J
    r = meter.stop()
    assert r.joules == pytest.approx(7.0)
    assert r.sources == ("rapl:package-0", "rapl:dram") and r.reason is None


def test_unreadable_rapl_is_na_with_the_reason(tmp_path: Path) -> None:
    rapl_tree(tmp_path, {"intel-rapl:0": ("package-0", 1, 10)})
    (tmp_path / "sys/class/powercap/intel-rapl:0/energy_uj").unlink()
    (tmp_path / "sys/class/powercap/intel-rapl:0/energy_uj").mkdir()  # unreadable as a file
    meter = probe.energy_meter(ctx(tmp_path))
    meter.start()
    r = meter.stop()
    assert r.joules is None and "root only since Linux 5.10" in (r.reason or "")


def test_no_counter_anywhere_is_na_with_every_reason(tmp_path: Path) -> None:
    meter = probe.energy_meter(ctx(tmp_path, nvml=FakeNVML.load("no-driver")))
    meter.start()
    r = meter.stop()
    assert r.joules is None and r.mean_watts is None
    assert "nvml:" in (r.reason or "") and "amdsmi: not installed" in (r.reason or "")
    assert "rapl: no /sys/class/powercap" in (r.reason or "")


def test_nvml_energy_counter_from_the_strict_fake(tmp_path: Path) -> None:
    gpu = {"nvmlDeviceGetTotalEnergyConsumption": 1_000_000}
    old = {"nvmlDeviceGetTotalEnergyConsumption": "NOT_SUPPORTED"}
    nvml = FakeNVML({"gpus": [gpu, old]})
    meter = probe.energy_meter(ctx(tmp_path, nvml=nvml))
    assert meter.available
    meter.start()
    gpu["nvmlDeviceGetTotalEnergyConsumption"] = 1_250_500  # millijoules
    r = meter.stop()
    assert r.joules == pytest.approx(250.5) and r.sources == ("nvml:0",)
    assert any("GPU 1 has no energy counter" in x for x in meter.reasons)


def test_amdsmi_energy_counter_from_the_strict_fake(tmp_path: Path) -> None:
    gpu: dict[str, Any] = {
        "amdsmi_get_energy_count": {"energy_accumulator": 1000, "counter_resolution": 15.3}
    }
    meter = probe.energy_meter(ctx(tmp_path, amdsmi=FakeAmdSmi([gpu])))
    meter.start()
    gpu["amdsmi_get_energy_count"] = {"energy_accumulator": 2000, "counter_resolution": 15.3}
    assert meter.stop().joules == pytest.approx(1000 * 15.3 / 1e6)


# -- engines and the command line -------------------------------------------------------------


def test_a_build_without_llama_server_is_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert {"llama-server", "llama-batched-bench"} <= set(_engines.BUILD_TARGETS)
    monkeypatch.setattr(_engines, "check_toolchain", lambda: None)
    monkeypatch.setenv("RIGBENCH_CACHE", str(tmp_path))  # not the session's shared cache
    bin_dir = _engines.build_dir("cpu") / "bin"
    bin_dir.mkdir(parents=True)
    for t in ("llama-bench", "llama-fit-params"):
        (bin_dir / t).write_text("")

    def fetch(log: Any) -> Path:
        raise RuntimeError("rebuilding")

    monkeypatch.setattr(_engines, "fetch_source", fetch)
    with pytest.raises(RuntimeError, match="rebuilding"):
        _engines.build_llama_bench("cpu")
    for t in _engines.BUILD_TARGETS:
        (bin_dir / t).write_text("")
    assert _engines.build_llama_bench("cpu") == bin_dir / "llama-bench"
    monkeypatch.setenv("RIGBENCH_LLAMA_BENCH", str(bin_dir / "llama-bench"))
    found = _engines.find_llama_server()
    assert found is not None and found[0] == bin_dir / "llama-server"
    assert _engines.find_batched_bench(found[0]) == bin_dir / "llama-batched-bench"


def test_batched_bench_rows_parse_and_failures_say_why(tmp_path: Path) -> None:
    fake = tmp_path / "llama-batched-bench"
    row = {"pp": 32, "tg": 8, "pl": 2, "speed_tg": 41.5, "speed": 90.1}
    fake.write_text(f"#!/bin/sh\necho 'main: n_kv_max = 512'\necho '{json.dumps(row)}'\n")
    fake.chmod(0o755)
    assert _batched.run_batched_bench([str(fake)], 10) == ([row], None)
    fake.write_text("#!/bin/sh\necho 'error: unable to load model' >&2\nexit 1\n")
    rows, error = _batched.run_batched_bench([str(fake)], 10)
    assert rows == [] and "exited 1: error: unable to load model" in (error or "")
    # llama.cpp's logger can drop every row at exit: retried, then named.
    fake.write_text(
        f"#!/bin/sh\n[ -e {tmp_path}/ran ] && echo '{json.dumps(row)}'\ntouch {tmp_path}/ran\n"
    )
    assert _batched.run_batched_bench([str(fake)], 10, {(2, 32)}) == ([row], None)
    rows, error = _batched.run_batched_bench([str(fake)], 10, {(2, 32), (4, 32)})
    assert rows == [row] and f"no row for 4 users x pp32 in {_batched.BATCHED_ATTEMPTS} runs" in (
        error or ""
    )


def test_bench_serve_command_passes_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.cli import _serve as cli_serve

    seen: list[_serve.ServeRequest] = []

    def fake_run(req: _serve.ServeRequest, log: Any) -> Any:
        seen.append(req)
        raise SystemExit(0)

    monkeypatch.setattr(cli_serve, "run_serve", fake_run)
    args = ["serve", "-m", "x.gguf", "--users", "1,4", "--prompt", "128", "--duration", "2m"]
    result = CliRunner().invoke(cli, [*args, "--price-kwh", "0.5"])
    assert result.exit_code == 0, result.output
    assert seen[0].users == (1, 4) and seen[0].prompts == (128,)
    assert seen[0].duration_s == 120 and seen[0].price_kwh == 0.5 and seen[0].ctx == 32768
    bad = CliRunner().invoke(cli, ["serve", "-m", "x", "--duration", "soon"])
    assert bad.exit_code == 1 and "cannot read --duration" in str(bad.exception)


def test_prompts_that_fit_one_batch_are_prefilled_together(host: probe.HostProfile) -> None:
    # llama-server fills one batch of -b tokens with the prompts waiting, in slot order: four
    # 512-token prompts sent at once share one 2048-token iteration, so each first token comes
    # after all four prefills (not after 1, 2, 3 and 4 of them).
    spec = spec_from_synth(TINY)
    p = predict_serving(spec, host, RunConfig(n_gpu_layers=0), 32768, [1, 4], [512], 16, None,
                        "cpu")  # fmt: skip
    one, four = p.level(1, 512), p.level(4, 512)
    assert one is not None and four is not None
    t_pf = one.ttft_terms_s["prefill"]
    assert one.ttft_terms_s["queue"] == pytest.approx(0, abs=1e-9)
    assert four.ttft_burst_s == pytest.approx(one.ttft_s + 3 * t_pf, rel=0.01)
    half = predict_serving(spec, host, RunConfig(n_gpu_layers=0, n_batch=1024), 32768, [4],
                           [512], 16, None, "cpu").level(4, 512)  # fmt: skip
    # (the second pair's last 2 tokens spill, beside 2 decode tokens, into a third iteration)
    assert half is not None and half.ttft_burst_s == pytest.approx(four.ttft_burst_s, rel=0.05)
    assert half.ttft_s < four.ttft_s  # -b 1024: two iterations of two, the first pair earlier


def test_other_users_prompts_stall_decoding(host: probe.HostProfile) -> None:
    # A decoding user gets one token per iteration; an iteration that carries another user's
    # 2048-token prompt chunk is as long as that chunk's prefill.
    spec = spec_from_synth(TINY)
    p = predict_serving(spec, host, RunConfig(n_gpu_layers=0), 65536, [1, 2], [4096], 64, None,
                        "cpu")  # fmt: skip
    one, two = p.level(1, 4096), p.level(2, 4096)
    assert one is not None and two is not None
    # Without the stalls two decoding users would each run near one user's rate (one batched
    # step reads the weights once); the other user's prompt chunks take ~half of it away.
    assert two.per_user_tokens_per_s < 0.6 * one.per_user_tokens_per_s
    assert two.ttft_s >= one.ttft_s


def test_ttft_does_not_fall_as_users_are_added(host: probe.HostProfile) -> None:
    # A request reaches the server a client gap after the previous answer, while the next
    # iteration already runs: users do not stay in lockstep batches that made 8 users look
    # faster than 4 (38.7 against 50.3 ms on this runner). Batching still makes TTFT step,
    # not rise evenly.
    spec = spec_from_synth(TINY)
    users = list(range(1, 13))
    p = predict_serving(spec, host, RunConfig(n_gpu_layers=0), 12 * 4200, users, [512, 4096], 32,
                        None, "cpu")  # fmt: skip
    for prompt in (512, 4096):
        ttft = [p.level(n, prompt).ttft_s for n in users]  # type: ignore[union-attr]
        assert all(b >= 0.75 * max(ttft[: i + 1]) for i, b in enumerate(ttft[1:]))
        assert ttft[-1] > 2 * ttft[0]


def test_serving_inputs_are_checked_and_batch_capped_at_the_context(
    host: probe.HostProfile,
) -> None:
    spec = spec_from_synth(TINY)
    with pytest.raises(probe.UserError, match="users, prompt and gen >= 1"):
        predict_serving(spec, host, RunConfig(n_gpu_layers=0), 4096, [0], [64], 8, None, "cpu")
    with pytest.raises(probe.UserError, match="-b 0"):
        predict_serving(spec, host, RunConfig(n_gpu_layers=0, n_batch=0), 4096, [1], [64], 8,
                        None, "cpu")  # fmt: skip
    # llama.cpp runs -b min(-b, -c): a 2048 batch over a 1024 context is a 1024 batch
    capped, asked = (
        predict_serving(spec, host, RunConfig(n_gpu_layers=0, n_batch=b), 1024, [4], [256], 8,
                        None, "cpu").level(4, 256)
        for b in (2048, 1024)
    )  # fmt: skip
    assert capped == asked


def test_moe_decode_steps_read_the_experts_every_user_routes_to() -> None:
    # A token routes to n_expert_used of n_expert experts: n decoding sequences read
    # 1 - (1 - used/n_expert)^n of them each step; a dense model's step reads the same weights
    # for one user or eight.
    c = _Costs(1.0, 1, weights=1.0, compute_per_token=0.0, kv_per_seq=0.0, overhead=0.0,
               all_experts=2.0, expert_share=0.125)  # fmt: skip
    # one token reads 0.75 dense + 2.0 x 0.125 of experts; two read 1 - 0.875^2 of them
    assert c.step_weights(2) == pytest.approx(0.75 + 2.0 * (1 - 0.875**2))
    assert c.step_weights(8) == pytest.approx(0.75 + 2.0 * (1 - 0.875**8))
    h = probe.load_host("rtx4090")
    moe = spec_from_shape("gpt-oss-20b", "MXFP4")  # 4 of 32 experts: 8 users read 66 % of them
    p = predict_serving(moe, h, RunConfig(), 8 * 1024, [1, 8], [256], 64, None, "cuda")
    one, eight = p.level(1, 256), p.level(8, 256)
    assert one is not None and eight is not None
    assert eight.step_s > 2 * one.step_s
    dense = predict_serving(
        spec_from_shape("llama3-8b", "Q4_K_M"), h, RunConfig(), 8 * 1024, [1, 8], [256], 64,
        None, "cuda",
    )  # fmt: skip
    d1, d8 = dense.level(1, 256), dense.level(8, 256)
    assert d1 is not None and d8 is not None
    assert d8.step_s < 1.3 * d1.step_s

"""The speed predictor's terms, its monotonicity, MoE accounting, calibration, and the CLI."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

import probe
from bench import Calibration, RunConfig
from bench.cli import cli
from bench.model import SHAPES, ModelSpec, SynthSpec, spec_from_shape, spec_from_synth, synthesize
from bench.predictor import (
    EFFICIENCY,
    PREDICTOR_VERSION,
    PRIORS,
    Point,
    compare_published,
    fit,
    median_abs_error,
    predict_speed,
    published_rows,
)
from bench.predictor._efficiency import (
    ARM_REPACK_GAIN,
    GEFORCE_CLOCK_GAIN,
    MOE_NODE_COST,
    SCAN_STEP_S,
    THREAD_CLOCK_GHZ,
    THREAD_STREAM,
    X86_PREFILL,
    cpu_type_gain,
    mmq_expert_padding,
    sustained_clock_gain,
    thread_clock_factor,
    thread_stream_factor,
    vulkan_dp4a_gain,
)
from bench.predictor._native_fp4 import NATIVE_FP4_GAIN, native_fp4
from bench.predictor._priors import PRIOR_SPREAD, cpu_prior_group, prior_group, prior_of
from bench.predictor._speed import LAYER_NODES, MOE_EXTRA_NODES, model_family
from bench.predictor._work import attn_work, score_bytes, swa_span
from probe import UserError

GB = 1e9
LLAMA = spec_from_shape("llama3-8b", "Q4_K_M")


def host(name: str = "rtx4090"):  # type: ignore[no-untyped-def]
    return probe.load_host(name)


def test_tg_terms_add_up_and_match_bandwidth_physics() -> None:
    h = host()
    p = predict_speed(LLAMA, h, RunConfig(n_prompt=0, n_gen=1))
    assert math.isclose(1 / p.tg_tokens_per_s, sum(p.tg_terms_s.values()), rel_tol=1e-9)
    read = sum(t.n_bytes for t in LLAMA.tensors if not t.name.startswith("token_embd"))
    prior = PRIORS["cuda"]  # the table's efficiency, times the backend's fitted prior
    eff = EFFICIENCY["cuda"]["kquant"]["bw"] * prior.k_bw
    assert math.isclose(p.tg_terms_s["weights"], read / (1008 * GB * eff), rel_tol=1e-9)
    fixed = EFFICIENCY["cuda"]["_"]
    overhead = (32 * fixed["layer_s"] + fixed["token_s"]) * prior.k_overhead
    assert p.tg_terms_s["overhead"] == pytest.approx(overhead)
    assert p.tg_terms_s["host_hop"] == 0  # everything on the GPU
    # The ceiling is pure bandwidth at efficiency 1: above the prediction.
    assert p.tg_ceiling_tokens_per_s > p.tg_tokens_per_s
    assert p.tg_dominant == "weights"


def test_pp_terms_add_up_and_compute_dominates_big_batches() -> None:
    p = predict_speed(LLAMA, host(), RunConfig(n_prompt=512, n_gen=0))
    assert math.isclose(512 / p.pp_tokens_per_s, sum(p.pp_terms_s.values()), rel_tol=1e-9)
    assert p.pp_dominant == "compute" and p.pp_ceiling_tokens_per_s > p.pp_tokens_per_s
    small = predict_speed(LLAMA, host(), RunConfig(n_prompt=512, n_gen=0, n_ubatch=1))
    assert small.pp_dominant == "weights"  # ubatch 1: bandwidth-bound, like generation
    assert small.pp_tokens_per_s < p.pp_tokens_per_s


def test_ttft_is_prefill_plus_one_token() -> None:
    p = predict_speed(LLAMA, host(), RunConfig(n_prompt=2048, n_gen=1))
    assert p.ttft_s == pytest.approx(2048 / p.pp_tokens_per_s + 1 / p.tg_tokens_per_s)


@pytest.mark.parametrize("hw", ["rtx4090", "m3-max-128gb", "desktop-7950x-cpu"])
def test_more_depth_is_slower(hw: str) -> None:
    speeds = [predict_speed(LLAMA, host(hw), RunConfig(n_depth=d)) for d in (0, 4096, 32768)]
    assert speeds[0].tg_tokens_per_s > speeds[1].tg_tokens_per_s > speeds[2].tg_tokens_per_s
    assert speeds[0].pp_tokens_per_s > speeds[1].pp_tokens_per_s > speeds[2].pp_tokens_per_s


def test_more_layers_on_the_faster_device_is_faster() -> None:
    tg = [
        predict_speed(LLAMA, host("rtx3060-12gb"), RunConfig(n_gpu_layers=n)).tg_tokens_per_s
        for n in (0, 8, 16, 24, 33)
    ]
    assert tg == sorted(tg)
    part = predict_speed(LLAMA, host("rtx3060-12gb"), RunConfig(n_gpu_layers=16))
    assert part.tg_terms_s["host_hop"] > 0 and part.inputs["hops"] == 1


def test_threads_limit_cpu_bandwidth_until_it_saturates() -> None:
    h = host("epyc-9654-cpu")  # 460 GB/s: needs many threads to saturate
    tg = [predict_speed(LLAMA, h, RunConfig(n_threads=t)).tg_tokens_per_s for t in (1, 4, 16, 96)]
    assert tg[0] < tg[1] < tg[2] < tg[3]
    lap = host("laptop-16gb")  # 119.5 GB/s: saturated by ten threads
    w12 = predict_speed(LLAMA, lap, RunConfig(n_threads=12)).tg_terms_s["weights"]
    w16 = predict_speed(LLAMA, lap, RunConfig(n_threads=16)).tg_terms_s["weights"]
    assert w12 == pytest.approx(w16)  # reading weights no longer speeds up past saturation


def test_moe_uses_active_not_total_parameters() -> None:
    moe = spec_from_shape("qwen3-30b-a3b", "Q4_K_M")
    dense_like = spec_from_shape("llama3-8b", "Q4_K_M")
    h = host("m3-max-128gb")
    p_moe = predict_speed(moe, h, RunConfig(n_prompt=0, n_gen=1))
    # 30 B parameters, ~3.3 B active: generation reads about a tenth of the weights per token.
    active_bytes = p_moe.tg_terms_s["weights"] * 409.6 * GB * EFFICIENCY["metal"]["kquant"]["bw"]
    assert active_bytes < 0.2 * moe.weight_bytes
    assert (
        p_moe.tg_tokens_per_s
        > predict_speed(dense_like, h, RunConfig(n_prompt=0, n_gen=1)).tg_tokens_per_s
    )


def test_n_cpu_moe_adds_hops_and_slows_generation() -> None:
    moe = spec_from_shape("qwen3-30b-a3b", "Q4_K_M")
    h = host("rtx4090")
    fast = predict_speed(moe, h, RunConfig(n_cpu_moe=0))
    slow = predict_speed(moe, h, RunConfig(n_cpu_moe=24))
    assert slow.inputs["hops"] == 48 and slow.tg_tokens_per_s < fast.tg_tokens_per_s


def test_spec_from_synth_matches_the_file_it_would_write(session_env: pytest.MonkeyPatch) -> None:
    from bench.model import load_local

    for quant in ("Q4_K_M", "Q8_0", "F16", "Q6_K"):
        s = SynthSpec(
            n_layer=4, n_embd=512, n_head=8, n_head_kv=2, n_ff=1536, n_vocab=4096, quant=quant
        )
        real = load_local(synthesize(s).path)
        calc = spec_from_synth(s)
        assert sorted((t.name, t.type, t.n_bytes) for t in calc.tensors) == sorted(
            (t.name, t.type, t.n_bytes) for t in real.tensors
        )


def test_published_shapes_have_published_sizes() -> None:
    # llama-bench's model_size of these files (GiB), as the published tables print them.
    for shape, quant, gib in (
        ("llama3-8b", "Q4_K_M", 4.58),
        ("llama3-8b", "F16", 14.96),
        ("llama2-7b", "Q4_0", 3.56),
        ("llama3-8b", "Q8_0", 7.95),
    ):
        assert spec_from_shape(shape, quant).weight_bytes / 2**30 == pytest.approx(gib, abs=0.01)
    assert set(SHAPES) >= {"llama2-7b", "llama3-8b", "qwen3-30b-a3b", "gpt-oss-20b"}


def test_published_results_cover_ten_machines_with_sources() -> None:
    folder = Path(__file__).parent / "fixtures" / "published"
    for f in folder.glob("*.json"):
        assert json.loads(f.read_text())["source"].startswith("https://")
    rows = compare_published(folder)
    kinds = {probe.load_host(c.machine).backends[-1] for c in rows}
    assert len({c.machine for c in rows}) >= 10 and kinds >= {"cuda", "metal", "rocm", "cpu"}
    assert all(c.predicted > 0 and math.isfinite(c.predicted) for c in rows)
    assert math.isfinite(median_abs_error(rows, "tg")) and math.isfinite(
        median_abs_error(rows, "pp")
    )


def _model_points(
    spec: ModelSpec, h: probe.HostProfile, truth: Calibration, threads: tuple[int, ...]
) -> list[Point]:
    """'Measurements' made by the model itself with known factors, over threads and depth."""
    pts = []
    for t in threads:
        for d in (0, 1024):
            for kind in ("tg", "pp"):
                cfg = RunConfig(
                    n_prompt=512 if kind == "pp" else 0,
                    n_gen=64 if kind == "tg" else 0,
                    n_depth=d,
                    n_threads=t,
                )
                p = predict_speed(spec, h, cfg, {"cpu": truth})
                pts.append(
                    Point(spec, cfg, p.tg_tokens_per_s if kind == "tg" else p.pp_tokens_per_s, kind)
                )
    return pts


def _points(truth: Calibration) -> tuple[list[Point], object]:
    h = host("desktop-7950x-cpu")
    return _model_points(spec_from_shape("llama2-7b", "Q4_0"), h, truth, (4, 8, 16)), h


def test_calibration_recovers_known_factors() -> None:
    truth = Calibration(k_bw=0.8, k_compute=1.5, k_attn=0.7)
    pts, h = _points(truth)
    result = fit(pts, h, "cpu")  # type: ignore[arg-type]
    cal = result.calibration
    assert cal.n_points == 12 and result.tg_points == 6 and result.pp_points == 6
    assert cal.k_bw == pytest.approx(0.8, rel=0.02)
    assert cal.k_compute == pytest.approx(1.5, rel=0.02)
    assert cal.k_attn == pytest.approx(0.7, rel=0.05)
    assert not result.warnings and cal.residual_sd is not None and cal.residual_sd < 0.01


def test_one_disturbed_point_does_not_carry_the_calibration() -> None:
    # a shared runner's hiccup: one generation point of the sweep at a quarter of its speed
    # (stop 35's runner: 17.3 t/s where the same test read 58-70 in the other rounds)
    truth = Calibration(k_bw=0.8, k_compute=1.5, k_attn=0.7)
    pts, h = _points(truth)
    i = next(i for i, p in enumerate(pts) if p.kind == "tg" and p.cfg.n_depth == 0)
    pts[i] = dataclasses.replace(pts[i], measured_tps=pts[i].measured_tps / 4)
    cal = fit(pts, h, "cpu").calibration  # type: ignore[arg-type]
    # one of the three points k_bw is fitted on: squared, the log ratios put it at 0.50
    assert cal.k_bw == pytest.approx(0.8, rel=0.1)
    assert cal.k_compute == pytest.approx(1.5, rel=0.1)
    # the spread of the residuals is the other points', not the hiccup's (pstdev: 0.38)
    assert cal.residual_sd is not None and cal.residual_sd < 0.1


def test_calibration_beyond_physics_is_refused() -> None:
    pts, h = _points(Calibration())
    fast = [
        dataclasses.replace(p, measured_tps=p.measured_tps * 5) if p.kind == "tg" else p
        for p in pts
    ]  # 5x faster generation than the bandwidth allows
    result = fit(fast, h, "cpu")  # type: ignore[arg-type]
    assert result.calibration.k_bw == 1.0
    assert any("bandwidth factor" in w and "> 1" in w for w in result.warnings)


def _measured_socket_points(truth: Calibration, threads: tuple[int, ...]) -> tuple[list, object]:
    """A Q4_K_M twin's points by the model with ``truth``, on a 7950X whose socket read was
    measured (60 GB/s)."""
    h = host("desktop-7950x-cpu")
    h = dataclasses.replace(h, memory=dataclasses.replace(h.memory, measured_read_bytes_per_s=6e10))
    return _model_points(LLAMA, h, truth, threads), h


def test_a_measured_socket_read_short_of_is_the_threads_limit() -> None:
    # Threads that decode at 0.6 of the prior's rate: 2 threads read less than the measured
    # socket, 4 and 8 as much as it gives. The socket's factor stays 1 and k_bw, the threads'
    # alone, takes the shortfall; a Q8_0 then streams at its own per-thread rate (faster per
    # byte than the Q4_K_M the calibration measured), not at the Q4_K_M's.
    truth = Calibration(k_bw=0.6, k_socket=1.0)
    pts, h = _measured_socket_points(truth, (2, 4, 8))
    cal = fit(pts, h, "cpu").calibration  # type: ignore[arg-type]
    assert cal.k_bw == pytest.approx(0.6, rel=0.02)
    assert cal.k_socket == pytest.approx(1.0, rel=0.02)
    q8 = spec_from_shape("llama3-8b", "Q8_0")
    two = RunConfig(n_prompt=0, n_gen=64, n_threads=2)
    got = predict_speed(q8, h, two, {"cpu": cal}).tg_tokens_per_s  # type: ignore[arg-type]
    want = predict_speed(q8, h, two, {"cpu": truth}).tg_tokens_per_s  # type: ignore[arg-type]
    assert got == pytest.approx(want, rel=0.02)
    per_byte = [
        predict_speed(s, h, two, {"cpu": cal}).tg_tokens_per_s * s.weight_bytes  # type: ignore[arg-type]
        for s in (LLAMA, q8)
    ]
    assert per_byte[1] > 1.1 * per_byte[0]


def test_a_measured_socket_read_past_raises_the_socket_factor() -> None:
    # Generation reading 1.2x the measured socket at 8 threads (the measurement itself short
    # of the memory): the socket's factor rises to it, the threads' stays at the prior.
    truth = Calibration(k_bw=1.0, k_socket=1.2)
    pts, h = _measured_socket_points(truth, (8,))
    result = fit(pts, h, "cpu")  # type: ignore[arg-type]
    assert result.calibration.k_socket == pytest.approx(1.2, rel=0.02)
    assert result.calibration.k_bw == pytest.approx(1.0, rel=0.05)
    assert not result.warnings
    # 1.2 x the table's 0.95 is within the measured read's 1 / 0.8 margin; 1.5x is not
    fast = [dataclasses.replace(p, measured_tps=p.measured_tps * 1.5 / 1.2) for p in pts]
    refused = fit(fast, h, "cpu")  # type: ignore[arg-type]
    assert refused.calibration.k_socket == 1.0
    assert any("bandwidth factor" in w and "> 1" in w for w in refused.warnings)


def test_a_spec_socket_calibration_scales_both_caps() -> None:
    # without a measured socket there is no floor to read the threads' limit against
    pts, h = _points(Calibration(k_bw=0.8))
    assert fit(pts, h, "cpu").calibration.k_socket is None  # type: ignore[arg-type]


def test_cuda_expert_tiles_are_as_wide_as_the_ubatch_asks() -> None:
    # deepseek-v2-lite's 64 experts, 6 used: at ubatch 128 each expert gets ~12 tokens in a
    # 128-column tile (64 x 128 / (128 x 6) = 10.7); mat-vec sized ubatches have no tiles, and a
    # big ubatch fills its tiles
    assert mmq_expert_padding(64, 6, 8) == 1.0
    assert mmq_expert_padding(64, 6, 128) == pytest.approx(64 * 128 / (128 * 6), rel=0.01)
    assert mmq_expert_padding(64, 6, 4096) < 1.2  # ~384 tokens an expert in tiles of 128
    assert mmq_expert_padding(0, 0, 512) == 1.0
    pads = [mmq_expert_padding(32, 4, u) for u in (16, 128, 512, 2048)]
    assert pads[1] > pads[2] > pads[3] > 1.0

    def per_token_moe(backend: str, ub: int) -> float:
        cfg = RunConfig(n_prompt=2048, n_gen=0, n_ubatch=ub)
        spec = spec_from_shape("gpt-oss-20b", "MXFP4")
        return predict_speed(spec, host(), cfg, backend=backend).pp_terms_s["moe_compute"]

    # CUDA pays for the padding at ubatch 128 (2048 tokens either way); Vulkan does not
    cuda = per_token_moe("cuda", 128) / per_token_moe("cuda", 2048)
    vulkan = per_token_moe("vulkan", 128) / per_token_moe("vulkan", 2048)
    assert vulkan == pytest.approx(1.0, rel=0.01)
    assert cuda == pytest.approx(
        (mmq_expert_padding(32, 4, 128) / mmq_expert_padding(32, 4, 2048)) ** 0.5, rel=0.01
    )


def test_predict_cli_json_is_schema_versioned() -> None:
    res = CliRunner().invoke(
        cli,
        [
            "predict",
            "-m",
            "shape:gpt-oss-20b:MXFP4",
            "--hardware",
            "rtx5090",
            "--depth",
            "0,4096",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["schema_version"] == 2 and data["predictor_version"] == PREDICTOR_VERSION
    (model,) = data["models"]
    assert model["model"]["label"] == "shape:gpt-oss-20b:MXFP4"
    assert [p["config"]["n_depth"] for p in model["predictions"]] == [0, 4096]
    first = model["predictions"][0]
    assert first["tg_dominant"] in first["tg_terms_s"] and first["calibrated_points"] == 0


def test_predict_cli_synthetic_spec_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RIGBENCH_CACHE", str(tmp_path / "cache"))
    res = CliRunner().invoke(
        cli,
        ["predict", "-m", "synth:qwen3moe:1B:Q4_K_M", "--hardware", "m4-max-128gb"],
        env={"COLUMNS": "200"},
    )
    assert res.exit_code == 0, res.output
    assert "uncalibrated" in res.stdout and not (tmp_path / "cache").exists()


def test_calibrated_prediction_says_so() -> None:
    p = predict_speed(
        LLAMA,
        host("desktop-7950x-cpu"),
        RunConfig(),
        {"cpu": dataclasses.replace(Calibration(), n_points=7)},
    )
    assert p.calibrated_points == 7


def test_the_backend_is_an_input() -> None:
    """Vulkan on an NVIDIA card is not CUDA; a CPU-only build leaves the GPU unused."""
    from bench.predictor import choose_backend

    cfg = RunConfig(n_depth=4096)
    cuda = predict_speed(LLAMA, host("rtx4090"), cfg)
    vulkan = predict_speed(LLAMA, host("rtx4090"), cfg, backend="vulkan")
    named = predict_speed(LLAMA, host("rtx4090:vulkan"), cfg)
    cpu = predict_speed(LLAMA, host("rtx4090"), cfg, backend="cpu")
    assert (cuda.backend, vulkan.backend, named.backend, cpu.backend) == (
        "cuda",
        "vulkan",
        "vulkan",
        "cpu",
    )
    assert named == vulkan and vulkan.pp_tokens_per_s < cuda.pp_tokens_per_s
    assert cpu.tg_tokens_per_s < vulkan.tg_tokens_per_s / 3  # DDR5 instead of GDDR6X
    assert choose_backend(host("m3-max-128gb")) == "metal"
    assert choose_backend(host("desktop-7950x-cpu")) == "cpu"
    with pytest.raises(UserError, match=r"cannot run llama\.cpp's 'cuda'"):
        host("m3-max-128gb:cuda")
    with pytest.raises(UserError, match="no speed model for the 'sycl' backend"):
        choose_backend(host("rtx4090"), "sycl")


def test_predict_falls_back_to_the_plans_placement() -> None:
    """gpt-oss-20b does not fit a 12 GB card whole: predict says so and places it as the
    planner does (experts of some layers on the CPU) instead of pretending it fits."""
    from bench import predict

    (r,) = predict("shape:gpt-oss-20b:MXFP4", host("rtx3060-12gb"), [RunConfig()])
    (cfg, p), note = r.points[0], r.notes[0]
    assert cfg.n_gpu_layers == -1 and cfg.n_cpu_moe > 0
    assert "does not fit" in note and f"--n-cpu-moe {cfg.n_cpu_moe}" in note
    whole = predict_speed(r.source.spec, host("rtx3060-12gb"), RunConfig())
    assert p.tg_tokens_per_s < whole.tg_tokens_per_s  # experts read from DDR5, not GDDR6
    (fits,) = predict("shape:gpt-oss-20b:MXFP4", host("rtx4090"), [RunConfig()])
    assert fits.notes == () and fits.points[0][0] == RunConfig()


def test_sliding_window_layers_cap_the_cost_of_depth() -> None:
    """gpt-oss attends over 128 cells on half its layers: prefill at depth 16k slows less than
    it would if every layer attended to the whole context."""
    swa = spec_from_shape("gpt-oss-20b", "MXFP4")
    full = dataclasses.replace(swa, swa_layers=(False,) * swa.n_layer)
    h = host("rtx4090")

    def slowdown(spec):  # type: ignore[no-untyped-def]
        at = [predict_speed(spec, h, RunConfig(n_depth=d)) for d in (0, 16384)]
        return at[1].pp_tokens_per_s / at[0].pp_tokens_per_s, at[1].tg_tokens_per_s

    (pp_swa, tg_swa), (pp_full, tg_full) = slowdown(swa), slowdown(full)
    assert pp_full < pp_swa < 1.0 and tg_full < tg_swa


def test_a_sliding_window_ring_costs_what_each_backends_kernels_scan() -> None:
    """llama.cpp keeps a window layer's cache in a ring of pad256(window + n_ubatch) cells that
    stays full once it has wrapped: without flash attention, and under CUDA's below a ubatch of
    1024, attention runs over the whole ring; CUDA's trims the masked tail from 1024 queries on;
    Metal's, Vulkan's and the CPU's skip the masked blocks."""
    spec = spec_from_shape("gpt-oss-20b", "MXFP4")  # window 128 on half its layers
    assert spec.sliding_window == 128
    fa, no_fa = RunConfig(n_ubatch=2048), RunConfig(n_ubatch=2048, flash_attn=False)
    assert swa_span(spec, "cuda", fa, 2048) == 128 + 1024
    assert swa_span(spec, "rocm", fa, 2048) == 128 + 1024
    assert swa_span(spec, "metal", fa, 2048) == swa_span(spec, "vulkan", fa, 2048) == 128
    assert swa_span(spec, "cpu", fa, 2048) == 128
    ring = 2304  # pad256(128 + 2048)
    assert swa_span(spec, "metal", no_fa, 2048) == ring
    assert swa_span(spec, "cuda", fa) == ring  # a generated token: no trim
    assert swa_span(spec, "cuda", RunConfig(), 512) == 768  # below 1024 queries: no trim
    assert swa_span(spec_from_shape("llama3-8b", "Q4_0"), "cuda", fa) is None
    # pp512 at depth 16384: a window layer costs CUDA the ring (768 cells) and Vulkan the window
    # (128), against 16384 + 256 for a full layer; half of gpt-oss's layers are window layers
    full = dataclasses.replace(spec, swa_layers=(False,) * spec.n_layer)
    cfg = RunConfig(n_prompt=512, n_depth=16384)

    def share(hw: str) -> float:
        h = host(hw)
        swa = predict_speed(spec, h, cfg).inputs["sides_s"]["pp_attention"]
        return swa / predict_speed(full, h, cfg).inputs["sides_s"]["pp_attention"]

    assert share("rtx4090") == pytest.approx((16640 + 768) / (2 * 16640), rel=0.01)
    assert share("rtx4090:vulkan") == pytest.approx((16640 + 128) / (2 * 16640), rel=0.01)


def test_predictions_carry_an_80_percent_interval() -> None:
    p = predict_speed(LLAMA, host("rtx4090"), RunConfig())
    assert p.pp_interval_tokens_per_s and p.tg_interval_tokens_per_s
    lo, hi = p.tg_interval_tokens_per_s
    assert lo < p.tg_tokens_per_s < hi

    def width(residual_sd: float) -> float:
        cal = Calibration(1.0, 1.0, 1.0, n_points=12, residual_sd=residual_sd)
        band = predict_speed(LLAMA, host("rtx4090"), RunConfig(), {"cuda": cal})
        lo_c, hi_c = band.tg_interval_tokens_per_s  # type: ignore[misc]
        return float(hi_c / lo_c)

    assert width(0.05) < hi / lo  # this host's own residuals: a narrower interval
    # the residuals and the error of carrying them to another model, in quadrature
    assert width(0.05) == pytest.approx(math.exp(2 * 1.2816 * math.hypot(0.05, 0.08)))
    assert width(0.0) == pytest.approx(math.exp(2 * 1.2816 * 0.08))  # never zero width


def test_a_gpu_reads_its_cache_slower_the_more_heads_a_row_serves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """k_gqa scales a GPU generation's cache read by each doubling of the query heads a K/V row
    serves from GQA_REF (4): llama2-7b's one head a row is two halvings, Qwen3-30B-A3B's eight
    one doubling; a CPU's read is its own (bound by its attention compute)."""
    deep = RunConfig(n_prompt=0, n_gen=16, n_depth=16384)
    gpu = host("rtx4090")
    for shape, doublings in (("llama2-7b", -2.0), ("llama3-8b", 0.0), ("qwen3-30b-a3b", 1.0)):
        p = predict_speed(spec_from_shape(shape, "Q4_0"), gpu, deep)
        assert p.inputs["kv_gqa_doublings"] == pytest.approx(doublings)
    mha = spec_from_shape("llama2-7b", "Q4_0")
    cpu = predict_speed(mha, host("desktop-7950x-cpu"), dataclasses.replace(deep, n_threads=16))
    assert cpu.inputs["kv_gqa_doublings"] == 0.0
    before = predict_speed(mha, gpu, deep).tg_terms_s["kv_cache"]
    cuda = PRIORS["cuda"]
    monkeypatch.setitem(PRIORS, "cuda", dataclasses.replace(cuda, k_gqa=cuda.k_gqa * 2))
    after = predict_speed(mha, gpu, deep).tg_terms_s["kv_cache"]
    assert after == pytest.approx(before / 4, rel=0.01)


def test_flash_attention_changes_prefill_at_depth() -> None:
    """Without flash attention the scores go through memory: prefill slows with depth."""
    h = host("rtx4090")
    at = {
        (fa, d): predict_speed(LLAMA, h, RunConfig(n_depth=d, flash_attn=fa))
        for fa in (True, False)
        for d in (0, 16384)
    }
    no_fa = {d: at[(False, d)].pp_tokens_per_s / at[(True, d)].pp_tokens_per_s for d in (0, 16384)}
    assert 0.95 < no_fa[0] < 1.0  # within a ubatch the scores are few
    assert no_fa[16384] < 0.9 * no_fa[0]
    assert at[(False, 16384)].tg_tokens_per_s < at[(True, 16384)].tg_tokens_per_s


def test_op_offload_at_ngl_0_and_nopo() -> None:
    """-ngl 0 on a GPU host: llama.cpp still runs big prefill matmuls on the GPU, the weights
    crossing PCIe each ubatch; -nopo keeps them on the CPU; a CPU-only build has no GPU."""
    h = host("rtx4090")
    offload = predict_speed(LLAMA, h, RunConfig(n_gpu_layers=0))
    nopo = predict_speed(LLAMA, h, RunConfig(n_gpu_layers=0, no_op_offload=True))
    cpu_build = predict_speed(LLAMA, h, RunConfig(n_gpu_layers=0), backend="cpu")
    assert offload.pp_terms_s["host_hop"] > 0 and nopo.pp_terms_s["host_hop"] == 0
    assert offload.pp_tokens_per_s > 2 * nopo.pp_tokens_per_s
    assert nopo.pp_tokens_per_s == pytest.approx(cpu_build.pp_tokens_per_s, rel=0.05)
    assert offload.tg_tokens_per_s == pytest.approx(nopo.tg_tokens_per_s)  # generation: CPU
    # offloaded, a ubatch waits for the PCIe copy (which reads host memory) and the GPU's
    # matmuls: no host-side read on top
    assert offload.pp_terms_s["weights"] == 0 and offload.pp_terms_s["compute"] > 0
    bytes_moved = sum(t.n_bytes for t in LLAMA.tensors if not t.name.startswith("token_embd"))
    assert offload.pp_terms_s["host_hop"] == pytest.approx(bytes_moved / (25 * GB), rel=0.01)


def test_an_unmodelled_architecture_gets_no_speed_guess() -> None:
    from bench import ModelSource, predict
    from bench.predictor import NotModelled

    spec = dataclasses.replace(LLAMA, architecture="granitemoe")
    with pytest.raises(NotModelled, match="architecture granitemoe not modelled"):
        predict_speed(spec, host("rtx4090"), RunConfig())
    (r,) = predict(ModelSource("file", "x.gguf", "x.gguf", spec), host("rtx4090"), [RunConfig()])
    assert r.points == () and "memory from the tensor list only" in r.notes[0]


def test_apple_ultra_chips_use_their_own_prior() -> None:
    """Two Max dies do not double generation: an Ultra's tg per GB/s is below a Max's, and its
    interval is the Ultra group's spread."""
    ultra = predict_speed(LLAMA, host("m2-ultra-192gb"), RunConfig())
    max_ = predict_speed(LLAMA, host("m2-max-96gb"), RunConfig())
    assert ultra.inputs["prior"] == "metal-ultra" and max_.inputs["prior"] == "metal"
    assert PRIORS["metal-ultra"].k_bw < PRIORS["metal"].k_bw
    assert 1.2 < ultra.tg_tokens_per_s / max_.tg_tokens_per_s < 1.7  # at twice the bandwidth
    lo, hi = ultra.tg_interval_tokens_per_s  # type: ignore[misc]
    assert lo < ultra.tg_tokens_per_s < hi


def test_cuda_quantized_matmuls_scale_with_the_mmq_rate_not_the_tensor_peak() -> None:
    # llama.cpp's quantized matmuls (MMQ, int8 mma.sync) run at the GeForce per-SM rate on every
    # NVIDIA part; an A100's doubled FP16 tensor rate only serves F16 weights (cuBLAS).
    a100, rtx3090 = probe.load_host("a100-80gb"), probe.load_host("rtx3090")
    assert a100.gpus[0].spec_mmq_flops and not rtx3090.gpus[0].spec_mmq_flops
    cfg = RunConfig(n_prompt=512, n_gen=0)

    def pp(host: probe.HostProfile, quant: str) -> float:
        spec = spec_from_shape("llama2-7b", quant)
        return predict_speed(spec, host, cfg, None, backend="cuda").pp_tokens_per_s

    q4 = pp(a100, "Q4_0") / pp(rtx3090, "Q4_0")
    f16 = pp(a100, "F16") / pp(rtx3090, "F16")
    assert 0.8 < q4 < 1.5  # 108 SMs x 1.41 GHz against 82 x 1.695: close to even
    assert f16 > 2.5  # 312 against 71 TFLOPS of FP16 tensor math


def test_a_desktop_geforce_computes_at_its_sustained_clock() -> None:
    # GPU Boost holds a desktop GeForce above the boost clock its FLOPS figure assumes; a
    # laptop part, a workstation card and the same card's memory reads do not gain.
    rtx = probe.load_host("rtx4090")
    gpu = rtx.gpus[0]
    laptop = dataclasses.replace(
        rtx, gpus=(dataclasses.replace(gpu, name="NVIDIA GeForce RTX 4090 Laptop GPU"),)
    )
    assert sustained_clock_gain(gpu) == GEFORCE_CLOCK_GAIN > 1
    assert sustained_clock_gain(laptop.gpus[0]) == 1.0
    assert sustained_clock_gain(probe.load_host("rtx-pro-6000-blackwell").gpus[0]) == 1.0
    spec = spec_from_shape("llama2-7b", "F16")
    pp_cfg, tg_cfg = RunConfig(n_prompt=512, n_gen=0), RunConfig(n_prompt=0, n_gen=128)
    for backend in ("cuda", "vulkan"):
        desk, lap = (predict_speed(spec, h, pp_cfg, None, backend=backend) for h in (rtx, laptop))
        assert desk.pp_terms_s["compute"] * GEFORCE_CLOCK_GAIN == pytest.approx(
            lap.pp_terms_s["compute"]
        )
        assert desk.pp_tokens_per_s > lap.pp_tokens_per_s
    tg = [predict_speed(spec, h, tg_cfg, None, backend="cuda") for h in (rtx, laptop)]
    assert tg[0].tg_terms_s["weights"] == pytest.approx(tg[1].tg_terms_s["weights"])


def test_a_profile_without_gpu_figures_uses_the_catalog_by_name() -> None:
    # A host profile cached or saved before schema 3 has no FLOPS for its GPU: the prediction
    # looks the name up rather than running on the default peak, and says when it cannot.
    full = probe.load_host("rtx4090")
    bare = dataclasses.replace(
        full, gpus=(dataclasses.replace(full.gpus[0], spec_fp16_flops=None),)
    )
    spec = spec_from_shape("llama2-7b", "Q4_0")
    cfg = RunConfig(n_prompt=512, n_gen=0)
    a, b = (predict_speed(spec, h, cfg, None, backend="cuda") for h in (full, bare))
    assert a.pp_tokens_per_s == pytest.approx(b.pp_tokens_per_s)
    odd = dataclasses.replace(
        full, gpus=(dataclasses.replace(full.gpus[0], spec_fp16_flops=None, name="Mystery GPU"),)
    )
    c = predict_speed(spec, odd, cfg, None, backend="cuda")
    assert "unknown for Mystery GPU" in c.inputs["gpu_flops"]


def test_a_published_row_without_its_build_month_is_refused(tmp_path: Path) -> None:
    # The month decides whether a GPU row fits and judges the priors (scripts/bench_lomo.py):
    # a file that forgets it must not drop out silently.
    src = Path(__file__).parent / "fixtures" / "published" / "llama-cpp-pr4812-nkvo.json"
    data = json.loads(src.read_text())
    data.pop("measured")
    (tmp_path / "x.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="build month"):
        published_rows(tmp_path)


def test_one_stream_on_hbm_is_bound_by_the_sms_not_the_memory() -> None:
    # An H100's 3.35 TB/s is not what one token's mat-vec reads reach: per SM and clock they
    # stream about as much as on a GeForce card, so an H100 generates ~1.3x an RTX 4090, not 3x.
    spec = spec_from_shape("llama2-7b", "Q4_0")
    cfg = RunConfig(n_prompt=0, n_gen=128)
    h100, rtx = (
        predict_speed(spec, probe.load_host(n), cfg, None, backend="cuda").tg_tokens_per_s
        for n in ("h100", "rtx4090")
    )
    assert 1.0 < h100 / rtx < 2.0


def test_cpu_bandwidth_factor_scales_the_socket_not_the_threads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    h = host("epyc-9654-cpu")  # 460.8 GB/s: two threads cannot read it, 96 can
    cfgs = [RunConfig(n_prompt=0, n_gen=1, n_threads=t) for t in (2, 96)]
    before = [predict_speed(LLAMA, h, c).tg_terms_s["weights"] for c in cfgs]
    cpu = PRIORS["cpu"]
    monkeypatch.setitem(PRIORS, "cpu", dataclasses.replace(cpu, k_bw=cpu.k_bw / 2))
    after = [predict_speed(LLAMA, h, c).tg_terms_s["weights"] for c in cfgs]
    assert after[0] == pytest.approx(before[0])  # what two threads stream binds: unchanged
    assert after[1] == pytest.approx(2 * before[1])  # the socket binds: half its bandwidth
    monkeypatch.setitem(PRIORS, "cpu", dataclasses.replace(cpu, k_thread=cpu.k_thread / 2))
    assert predict_speed(LLAMA, h, cfgs[0]).tg_terms_s["weights"] == pytest.approx(2 * before[0])


def test_moe_layers_add_their_routing_cost_to_every_token(monkeypatch: pytest.MonkeyPatch) -> None:
    moe = spec_from_shape("qwen3-30b-a3b", "Q4_K_M")  # 48 MoE layers, 8 experts used a token
    h = host("rtx4090")
    one = RunConfig(n_prompt=0, n_gen=1)
    assert predict_speed(LLAMA, h, one).tg_terms_s["moe"] == 0  # dense: no routing
    p = predict_speed(moe, h, one)
    share = (MOE_EXTRA_NODES + 8) / LAYER_NODES
    cuda, cpu = PRIORS["cuda"], PRIORS["cpu"]
    layer_s = EFFICIENCY["cuda"]["_"]["layer_s"] * cuda.k_overhead
    assert p.tg_terms_s["moe"] == pytest.approx(48 * layer_s * share * cuda.k_moe)
    # experts kept on the CPU (--n-cpu-moe) route there, at the CPU's per-layer cost and the
    # CPU's heavier MoE nodes (measured on twins: MOE_NODE_COST)
    part = predict_speed(moe, h, dataclasses.replace(one, n_cpu_moe=48))
    cpu_layer_s = EFFICIENCY["cpu"]["_"]["layer_s"] * cpu.k_overhead * MOE_NODE_COST["cpu"]
    assert MOE_NODE_COST["cpu"] > MOE_NODE_COST["cuda"] == 1
    assert part.tg_terms_s["moe"] == pytest.approx(48 * cpu_layer_s * share * cpu.k_moe)
    monkeypatch.setitem(PRIORS, "cuda", dataclasses.replace(cuda, k_moe=2 * cuda.k_moe))
    slower = predict_speed(moe, h, one)
    assert slower.tg_terms_s["moe"] == pytest.approx(2 * p.tg_terms_s["moe"])
    assert slower.tg_tokens_per_s < p.tg_tokens_per_s


def test_a_cpu_reads_the_chosen_experts_at_the_dense_rate() -> None:
    # rigbench's twins: a qwen3moe twin's experts stream at the dense twins' 33 GB/s per added
    # byte; what MoE costs more is its nodes' fixed cost (MOE_NODE_COST), not its bytes
    moe = spec_from_shape("qwen3-30b-a3b", "Q4_K_M")
    h = host("desktop-7950x-cpu")
    p = predict_speed(moe, h, RunConfig(n_prompt=0, n_gen=1, n_threads=16))
    active = sum(t.n_bytes for t in moe.tensors if t.is_expert) * 8 / 128
    rate = p.inputs["host_bytes_per_s"] * EFFICIENCY["cpu"]["kquant"]["bw"]
    assert p.inputs["tg_experts_s"] == pytest.approx(active / rate)
    assert p.tg_terms_s["moe"] > 0


def test_an_x86_thread_streams_each_weight_type_at_its_own_rate() -> None:
    # one thread of an x86 desktop is thread-bound: its tg reads BF16 faster than the Q4_K_M
    # mix, Q5_0 slower (THREAD_STREAM, measured on the runner at 1 thread); an Arm core with
    # the int8 dot product reads the types ggml-cpu repacks for it at the mix's rate and the
    # rest at the table's; one without it (a Cortex-A72) is not scaled
    one = RunConfig(n_prompt=0, n_gen=16, n_threads=1)

    def reads(machine: str, quant: str) -> float:
        p = predict_speed(spec_from_shape("llama3-8b", quant), host(machine), one, backend="cpu")
        return float(p.inputs["host_bytes_per_s"])

    x86 = {q: reads("desktop-7950x-cpu", q) for q in ("BF16", "Q4_K_M", "Q5_0")}
    assert x86["BF16"] > x86["Q4_K_M"] > x86["Q5_0"]
    assert x86["BF16"] / x86["Q5_0"] == pytest.approx(THREAD_STREAM["BF16"] / 0.6, rel=0.1)
    arm = {q: reads("m4-max-128gb", q) for q in ("BF16", "Q4_K_M", "Q4_0", "Q8_0", "Q5_0")}
    # (the F32 norms, a hundredth of a percent of the bytes, take the table's rate)
    assert arm["Q4_0"] == pytest.approx(arm["Q4_K_M"], rel=1e-3)
    assert arm["Q8_0"] == pytest.approx(arm["Q4_K_M"], rel=1e-3)
    assert arm["BF16"] / arm["Q5_0"] == pytest.approx(THREAD_STREAM["BF16"] / 0.6, rel=0.1)
    assert arm["Q5_0"] / arm["Q4_K_M"] == pytest.approx(THREAD_STREAM["Q5_0"], rel=0.05)
    old = {q: reads("raspberry-pi-4b", q) for q in ("BF16", "Q5_0")}
    assert old["BF16"] == old["Q5_0"]
    # under Metal the CPU's weights sit in the GPU's host buffer, never repacked: table rates
    spec = spec_from_shape("llama3-8b", "Q4_0")
    assert thread_stream_factor(host("m4-max-128gb").cpu, spec, repacked=False) == pytest.approx(
        THREAD_STREAM["Q4_0"], rel=0.05
    )


def test_a_cpu_thread_streams_at_its_cores_clock() -> None:
    # what a thread streams scales with its core's top clock (thread_clock_factor); a CPU whose
    # clock is unknown (a VM) is taken at THREAD_CLOCK_GHZ, and a clock no CPU has is not believed
    one = RunConfig(n_prompt=0, n_gen=16, n_threads=1)
    spec = spec_from_shape("llama3-8b", "Q4_K_M")
    base = host("desktop-7950x-cpu")
    assert base.cpu is not None and base.cpu.max_clock_mhz == 5100

    def thread_bw(mhz: float | None) -> float:
        h = dataclasses.replace(base, cpu=dataclasses.replace(base.cpu, max_clock_mhz=mhz))
        return float(predict_speed(spec, h, one).inputs["host_thread_bytes_per_s"])

    assert thread_bw(2550) == pytest.approx(thread_bw(5100) / 2)
    assert thread_bw(None) == pytest.approx(thread_bw(THREAD_CLOCK_GHZ * 1000))
    assert thread_bw(50_000) == thread_bw(None)
    # Apple chips carry their P-cores' clocks: an M4 Max thread streams more than an M2 Max's
    m4, m2 = (host(m).cpu for m in ("m4-max-128gb", "m2-max-96gb"))
    assert m4 is not None and m2 is not None
    assert m4.max_clock_mhz == pytest.approx(4512) and m2.max_clock_mhz == pytest.approx(3700)
    assert thread_clock_factor(m4) / thread_clock_factor(m2) == pytest.approx(4512 / 3700)


def test_an_arm_core_prefills_the_types_ggml_cpu_repacks_faster() -> None:
    # repacked weights (Q4_0, Q4_K, Q6_K, ...) run GEMM kernels on Arm cores with the int8 dot
    # product, ARM_REPACK_GAIN faster than the per-row dot products of the others (Q5_0 here);
    # x86 runs each type at its own kernel's rate (X86_PREFILL: Q5_0's tinyBLAS path is slower
    # than Q4_0's repacked GEMM), and an Arm core without the dot product gains nothing
    # (NO_DOTPROD_RATIO)
    cfg = RunConfig(n_prompt=512, n_gen=0, n_threads=4)

    def compute(machine: str, quant: str) -> float:
        spec = spec_from_shape("llama3-8b", quant)
        return predict_speed(spec, host(machine), cfg, backend="cpu").pp_terms_s["compute"]

    x86 = X86_PREFILL["Q4_0"] / X86_PREFILL["Q5_0"]
    for machine, gain in (("m2-max-96gb", ARM_REPACK_GAIN), ("desktop-7950x-cpu", x86)):
        assert compute(machine, "Q5_0") / compute(machine, "Q4_0") == pytest.approx(gain)
    pi4 = compute("raspberry-pi-4b", "Q5_0") / compute("raspberry-pi-4b", "Q4_0")
    assert pi4 == pytest.approx(1.0, rel=0.01)
    # a mix is weighed by its FLOPs, the output head left out (prefill multiplies one row by
    # it): Q5_0 and F16 files repack nothing, IQ4_XS its few Q5_K tensors, Q4_K_M all of it
    m2 = host("m2-max-96gb")

    def gain_of(quant: str, shape: str = "llama3-8b") -> float:
        spec = spec_from_shape(shape, quant)
        return cpu_type_gain(m2.cpu, spec, model_family(spec))

    assert gain_of("Q5_0") == gain_of("F16") == 1.0
    assert 1.0 < gain_of("IQ4_XS") < 1.1
    assert gain_of("Q4_0") == gain_of("Q4_K_M") == pytest.approx(ARM_REPACK_GAIN)
    # an MoE file: the experts weigh by the share of them a token uses
    assert 1.0 < gain_of("IQ4_XS", "qwen3-30b-a3b") < 1.1
    # with a GPU backend loaded, CPU layers sit in its pinned host buffer: nothing is repacked
    part = RunConfig(n_prompt=512, n_gen=0, n_threads=4, n_gpu_layers=0, no_op_offload=True)
    on_cpu = predict_speed(spec_from_shape("llama3-8b", "Q4_0"), m2, part, backend="metal")
    cpu_only = predict_speed(spec_from_shape("llama3-8b", "Q4_0"), m2, part, backend="cpu")
    assert on_cpu.pp_terms_s["compute"] == pytest.approx(
        cpu_only.pp_terms_s["compute"] * ARM_REPACK_GAIN
    )


def test_an_x86_core_prefills_each_weight_type_at_its_own_kernels_rate() -> None:
    # ggml-cpu's x86 prefill runs the K-quants through its tiled mul_mat, Q4_0/Q4_K/IQ4_NL
    # through repacked GEMMs, Q4_1/Q5_1 through per-row dot products: on twins Q5_K_S prefills
    # 1.4x the Q4_K_M mix and Q4_1 a third of Q4_0 (X86_PREFILL); the family's reference type
    # keeps its family's efficiency
    cpu = host("desktop-7950x-cpu").cpu

    def gain(quant: str) -> float:
        spec = spec_from_shape("llama3-8b", quant)
        return cpu_type_gain(cpu, spec, model_family(spec))

    assert gain("Q4_K_M") == pytest.approx(1.0, abs=0.01)
    for quant in ("Q4_0", "Q8_0", "F16", "BF16"):
        assert gain(quant) == pytest.approx(1.0), quant
    # BF16 runs tinyBLAS's native bf16 dot products on a core with AVX512_BF16 (a probed Zen 4
    # or Sapphire Rapids), F16's converted path elsewhere (the catalog's CPUs name no such flag)
    assert cpu is not None and not cpu.isa_flags.get("AVX512_BF16")
    zen4 = dataclasses.replace(cpu, isa_flags={**cpu.isa_flags, "AVX512_BF16": True})
    bf16 = spec_from_shape("llama3-8b", "BF16")
    assert cpu_type_gain(zen4, bf16, "f16") == pytest.approx(
        X86_PREFILL["BF16"] / X86_PREFILL["F16"], rel=0.01
    )
    f16 = spec_from_shape("llama3-8b", "F16")
    assert cpu_type_gain(zen4, f16, "f16") == pytest.approx(1.0)
    assert gain("Q5_K_S") == pytest.approx(X86_PREFILL["Q5_K"], rel=0.02)
    assert gain("Q4_1") == pytest.approx(X86_PREFILL["Q4_1"] / X86_PREFILL["Q4_0"], rel=0.02)
    assert gain("IQ4_XS") > gain("Q6_K") > gain("Q4_K_M") > gain("Q2_K")
    cfg = RunConfig(n_prompt=512, n_gen=0, n_threads=16)

    def pp(quant: str, backend: str = "cpu", machine: str = "desktop-7950x-cpu") -> float:
        spec = spec_from_shape("llama3-8b", quant)
        return predict_speed(spec, host(machine), cfg, backend=backend).pp_tokens_per_s

    assert pp("Q5_K_S") > 1.2 * pp("Q4_K_M") and pp("Q4_1") < 0.5 * pp("Q4_0")
    # a GPU host's CPU layers sit in the GPU's pinned host buffer: no type gain there either
    part = RunConfig(n_prompt=512, n_gen=0, n_threads=16, n_gpu_layers=0, no_op_offload=True)
    spec = spec_from_shape("llama3-8b", "Q5_K_S")
    on_gpu_host = predict_speed(spec, host("rtx4090"), part, backend="cuda")
    cpu_only = predict_speed(spec, host("rtx4090"), part, backend="cpu")
    assert on_gpu_host.pp_terms_s["compute"] == pytest.approx(
        cpu_only.pp_terms_s["compute"] * gain("Q5_K_S"), rel=0.01
    )
    # and the BF16 GEMM reaches the prefill of a CPU-only run on that Zen 4
    h = dataclasses.replace(host("desktop-7950x-cpu"), cpu=zen4)
    c16 = predict_speed(f16, h, cfg, backend="cpu").pp_terms_s["compute"]
    cb16 = predict_speed(bf16, h, cfg, backend="cpu").pp_terms_s["compute"]
    assert c16 / cb16 == pytest.approx(X86_PREFILL["BF16"] / X86_PREFILL["F16"], rel=0.01)


def test_moe_prefill_runs_expert_matmuls_at_the_priors_rate(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moe = spec_from_shape("qwen3-30b-a3b", "Q4_K_M")
    h = host("rtx4090")
    cfg = RunConfig(n_prompt=512, n_gen=0)
    assert predict_speed(LLAMA, h, cfg).pp_terms_s["moe_compute"] == 0
    base = predict_speed(moe, h, cfg)
    assert base.pp_terms_s["moe_compute"] > base.pp_terms_s["compute"] > 0  # experts: most FLOPs
    cuda = PRIORS["cuda"]
    monkeypatch.setitem(
        PRIORS, "cuda", dataclasses.replace(cuda, k_moe_matmul=cuda.k_moe_matmul / 2)
    )
    slow = predict_speed(moe, h, cfg)
    assert slow.pp_terms_s["moe_compute"] == pytest.approx(2 * base.pp_terms_s["moe_compute"])
    assert slow.pp_terms_s["compute"] == pytest.approx(base.pp_terms_s["compute"])
    assert slow.pp_tokens_per_s < base.pp_tokens_per_s


def test_f16_weights_prefill_at_the_backends_own_gemm_factor(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """F16/BF16 weights multiply through the BLAS GEMMs, not the quantized kernels: their
    prefill matmuls take the backend's k_f16; attention, generation and quantized weights do
    not."""
    f16, q4 = spec_from_shape("llama-3.1-8b", "F16"), spec_from_shape("llama-3.1-8b", "Q4_0")
    h = host("radeon-ai-pro-r9700")
    deep = RunConfig(n_prompt=512, n_gen=0, n_depth=4096)
    tg = RunConfig(n_prompt=0, n_gen=128)
    (pp_before, tg_before), (pp4_before, tg4_before) = (
        (predict_speed(s, h, deep), predict_speed(s, h, tg)) for s in (f16, q4)
    )
    group = prior_group("rocm", h.gpus[0].name, h.gpus[0].vendor, h.gpus[0].gfx_target)
    p = prior_of(group, "rocm")
    monkeypatch.setitem(PRIORS, group, dataclasses.replace(p, k_f16=p.k_f16 / 2))
    pp16, tg16 = predict_speed(f16, h, deep), predict_speed(f16, h, tg)
    assert pp16.pp_terms_s["compute"] == pytest.approx(2 * pp_before.pp_terms_s["compute"])
    assert pp16.pp_terms_s["attention"] == pytest.approx(pp_before.pp_terms_s["attention"])
    assert pp16.pp_tokens_per_s < pp_before.pp_tokens_per_s
    assert tg16.tg_tokens_per_s == pytest.approx(tg_before.tg_tokens_per_s)
    pp4, tg4 = predict_speed(q4, h, deep), predict_speed(q4, h, tg)
    assert pp4.pp_tokens_per_s == pytest.approx(pp4_before.pp_tokens_per_s)
    assert tg4.tg_tokens_per_s == pytest.approx(tg4_before.tg_tokens_per_s)
    # BF16 weights take it too, an MoE's expert matmuls with its dense ones
    moe = spec_from_shape("qwen3-30b-a3b", "BF16")
    monkeypatch.setitem(PRIORS, group, p)
    base = predict_speed(moe, h, deep).pp_terms_s
    monkeypatch.setitem(PRIORS, group, dataclasses.replace(p, k_f16=p.k_f16 / 2))
    half = predict_speed(moe, h, deep).pp_terms_s
    assert base["moe_compute"] > 0
    assert half["moe_compute"] == pytest.approx(2 * base["moe_compute"])
    assert half["compute"] == pytest.approx(2 * base["compute"])


@pytest.mark.parametrize(
    ("gpu", "group"), [("rtx4090", "vulkan-nvidia"), ("arc-a770-16gb", "vulkan-intel")]
)
def test_nvidia_and_intel_under_vulkan_have_their_own_speed_factors(
    monkeypatch: pytest.MonkeyPatch, gpu: str, group: str
) -> None:
    """NVIDIA's Vulkan driver runs ggml-vulkan's coopmat2 matmuls (mul_mat_id and flash
    attention too), Arc A cards its scalar shaders (no cooperative matrices), and each driver
    streams weights at its own share of the bandwidth: prefill gets the group's compute,
    attention and MoE-matmul factors, generation its bandwidth factor, every other term
    Vulkan's; AMD under Vulkan keeps Vulkan's."""
    cfg = RunConfig(n_prompt=512, n_gen=128)
    nv = predict_speed(LLAMA, host(gpu), cfg, backend="vulkan")
    amd = predict_speed(LLAMA, host("rx7900xtx"), cfg, backend="vulkan")
    assert nv.inputs["prior"] == group and amd.inputs["prior"] == "vulkan"
    sub, vk = PRIORS[group], PRIORS["vulkan"]
    assert sub.k_compute != vk.k_compute and sub.k_bw != vk.k_bw
    assert (
        dataclasses.replace(
            sub,
            k_compute=vk.k_compute,
            k_bw=vk.k_bw,
            k_attn=vk.k_attn,
            k_moe_matmul=vk.k_moe_matmul,
        )
        == vk
    )
    monkeypatch.delitem(PRIORS, group)  # falls back to the backend's factors
    plain = predict_speed(LLAMA, host(gpu), cfg, backend="vulkan")
    assert nv.tg_terms_s["weights"] == pytest.approx(
        plain.tg_terms_s["weights"] * vk.k_bw / sub.k_bw
    )
    assert nv.tg_terms_s["overhead"] == pytest.approx(plain.tg_terms_s["overhead"])
    assert nv.pp_terms_s["compute"] == pytest.approx(
        plain.pp_terms_s["compute"] * vk.k_compute / sub.k_compute
    )
    # attention runs at the matmul efficiency times the attention factor, both the group's
    assert nv.pp_terms_s["attention"] == pytest.approx(
        plain.pp_terms_s["attention"] * vk.k_compute * vk.k_attn / (sub.k_compute * sub.k_attn)
    )


@pytest.mark.parametrize(
    ("card", "group"),
    [
        ("radeon-ai-pro-r9700", "rocm-rdna4"),
        ("rx9070xt", "rocm-rdna4"),
        ("rx9060xt-16gb", "rocm-rdna4"),
        ("rx7900xtx", "rocm"),
        ("ryzen-ai-max-395-128gb", "rocm"),
        ("mi50-32gb", "rocm"),
    ],
)
def test_rdna4_under_rocm_has_its_own_speed_factors(
    monkeypatch: pytest.MonkeyPatch, card: str, group: str
) -> None:
    """The HIP build runs RDNA4 through its own kernel tables (mmvq.cu's RDNA4 mat-vec
    launches, FA tuned for gfx1201): an RX 9000 or R9700 card under ROCm takes the rocm-rdna4
    priors, RDNA3, RDNA3.5 and GCN keep ROCm's, and every AMD card under Vulkan Vulkan's."""
    cfg = RunConfig(n_prompt=512, n_gen=128)
    rocm = predict_speed(LLAMA, host(card), cfg, backend="rocm")
    assert rocm.inputs["prior"] == group
    assert predict_speed(LLAMA, host(card), cfg, backend="vulkan").inputs["prior"] == "vulkan"
    if group == "rocm":
        return
    sub, parent = PRIORS[group], PRIORS["rocm"]
    assert sub.k_bw != parent.k_bw
    monkeypatch.delitem(PRIORS, group)  # falls back to ROCm's factors
    plain = predict_speed(LLAMA, host(card), cfg, backend="rocm")
    assert plain.inputs["prior"] == group  # the group stays; its factors are the parent's
    assert rocm.tg_terms_s["weights"] == pytest.approx(
        plain.tg_terms_s["weights"] * parent.k_bw / sub.k_bw
    )


def test_cpu_core_families_have_their_own_thread_factors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apple's P-cores stream more a thread than the shared CPU factor says, Neoverse server
    cores less: each family takes its own priors (cpu_prior_group), as probed or catalogued;
    other cores keep the CPU's; a family without factors falls back to the CPU's."""
    one = RunConfig(n_prompt=0, n_gen=64, n_threads=1)
    groups = {
        n: predict_speed(LLAMA, host(n), one, backend="cpu").inputs["prior"]
        for n in ("m4-max-128gb", "graviton3-c7g-16xl", "desktop-7950x-cpu", "raspberry-pi-4b")
    }
    assert groups == {
        "m4-max-128gb": "cpu-apple",
        "graviton3-c7g-16xl": "cpu-neoverse",
        "desktop-7950x-cpu": "cpu",
        "raspberry-pi-4b": "cpu",
    }
    probed = dataclasses.replace(host("graviton3-c7g-16xl").cpu, vendor="ARM", model="Neoverse-V2")
    assert cpu_prior_group(probed) == "cpu-neoverse"
    assert cpu_prior_group(dataclasses.replace(probed, model="Cortex-A76")) == "cpu"
    assert cpu_prior_group(None) == "cpu"
    k = {g: PRIORS[g].k_thread for g in ("cpu-apple", "cpu", "cpu-neoverse")}
    assert k["cpu-apple"] > k["cpu"] > k["cpu-neoverse"]
    own = predict_speed(LLAMA, host("m4-max-128gb"), one, backend="cpu")
    monkeypatch.delitem(PRIORS, "cpu-apple")
    plain = predict_speed(LLAMA, host("m4-max-128gb"), one, backend="cpu")
    assert plain.inputs["prior"] == "cpu-apple"  # the group stays; its factors are the CPU's
    assert own.inputs["host_thread_bytes_per_s"] == pytest.approx(
        plain.inputs["host_thread_bytes_per_s"] * k["cpu-apple"] / k["cpu"]
    )


def test_a_probed_gfx_target_names_rdna4_before_the_name_does() -> None:
    """A probed AMD GPU carries its gfx target (amdsmi, KFD): gfx1200/gfx1201 are RDNA4 whatever
    the marketing name reads, gfx1100 is not; without a target the name decides."""
    assert prior_group("rocm", "AMD Radeon Graphics", "amd", "gfx1201") == "rocm-rdna4"
    assert prior_group("rocm", "AMD Radeon Graphics", "amd", "gfx1100") == "rocm"
    assert prior_group("rocm", "AMD Radeon RX 9070", "amd") == "rocm-rdna4"
    assert prior_group("rocm", "AMD Radeon RX9070XT", "amd") == "rocm-rdna4"
    assert prior_group("rocm", "AMD Radeon AI PRO R9700S", "amd") == "rocm-rdna4"
    assert prior_group("rocm", "AMD Radeon RX 7900 GRE", "amd") == "rocm"
    assert prior_group("rocm", "AMD Radeon RX 90700", "amd") == "rocm"  # not a 4-digit model
    assert prior_group("rocm", "AMD Radeon Graphics", "amd") == "rocm"  # generic, no target
    assert prior_group("vulkan", "AMD Radeon RX 9070", "amd", "gfx1201") == "vulkan"
    # predict_speed passes the probed target: a generic name with gfx1201 is RDNA4
    h = host("rx7900xtx")
    gpu = dataclasses.replace(h.gpus[0], name="AMD Radeon Graphics", gfx_target="gfx1201")
    probed = dataclasses.replace(h, gpus=[gpu])
    cfg = RunConfig(n_prompt=512, n_gen=128)
    assert predict_speed(LLAMA, probed, cfg, backend="rocm").inputs["prior"] == "rocm-rdna4"
    assert predict_speed(LLAMA, h, cfg, backend="rocm").inputs["prior"] == "rocm"


@pytest.mark.parametrize("card", ["h100", "a100-80gb", "l40s", "rtx-pro-6000-blackwell"])
def test_an_nvidia_part_runs_vulkan_at_its_sm_rate_as_cuda_does(card: str) -> None:
    """Vulkan's coopmat2 (f16 accumulate) and int8 matmuls run at a GeForce's rate per SM and
    clock on a workstation part (a GeForce die), not at the full-rate FP32-accumulate peak the
    catalog stores for it; a data-centre part is held to the SM rate CUDA's MMQ reaches on it.
    Its mat-vec reads are SM-bound as CUDA's are. Against CUDA on the same card, Vulkan then
    stands where it stands on a GeForce."""
    cfg = RunConfig(n_prompt=512, n_gen=128)

    def ratio(name: str, kind: str) -> float:
        cuda = predict_speed(LLAMA, host(name), cfg, backend="cuda")
        vk = predict_speed(LLAMA, host(name), cfg, backend="vulkan")
        return getattr(vk, f"{kind}_tokens_per_s") / getattr(cuda, f"{kind}_tokens_per_s")

    gpu = host(card).gpus[0]
    assert gpu.spec_mmq_flops and gpu.spec_fp16_flops and gpu.spec_mmq_flops < gpu.spec_fp16_flops
    for kind in ("pp", "tg"):
        assert ratio(card, kind) <= 1.0, kind  # never above CUDA on the same card
        assert ratio(card, kind) == pytest.approx(ratio("rtx5090", kind), rel=0.25), kind


@pytest.mark.parametrize(
    ("name", "vendor", "gfx", "gain"),
    [
        ("AMD Radeon RX 6800 XT", "amd", None, 2.0),  # RDNA2: V_DOT4_I32_I8
        ("AMD Radeon Graphics", "amd", "gfx1035", 2.0),  # Rembrandt 680M, by its gfx target
        ("AMD Radeon RX 6800M", "amd", None, 2.0),  # RDNA2 laptop part
        ("AMD Radeon Graphics (RADV REMBRANDT)", "amd", None, 2.0),  # RADV's codename
        ("AMD Radeon RX 5700 XT", "amd", None, 1.0),  # RDNA1: no dot4, the FP16 shaders
        ("AMD Radeon RX 7900 XTX", "amd", "gfx1100", 1.0),  # RDNA3: cooperative matrices
        ("AMD Radeon RX 580 8GB", "amd", None, 1.0),
        ("Intel(R) Arc(TM) A770 Graphics", "intel", None, 0.5),  # DP4A on the vector engines
        ("Intel Arc B580", "intel", None, 1.0),  # Xe2: cooperative matrices (XMX)
        ("NVIDIA GeForce RTX 3090", "nvidia", None, 1.0),
    ],
)
def test_vulkan_runs_quantized_matmuls_through_dp4a_without_cooperative_matrices(
    name: str, vendor: str, gfx: str | None, gain: float
) -> None:
    g = probe.GpuInfo(index=0, vendor=vendor, name=name, source="x", gfx_target=gfx)
    assert vulkan_dp4a_gain(g) == gain


def test_the_dp4a_ceiling_speeds_vulkan_prefill_of_quantized_weights_only() -> None:
    """An RX 6800 XT under Vulkan multiplies Q4_0 through DP4A at twice its packed-FP16 rate
    (PR 12135: 1846 against 921 t/s on the FP16 shaders); F16 weights and ROCm are unchanged."""
    h = host("rx6800xt")
    cfg = RunConfig(n_prompt=512, n_gen=0)
    f16 = spec_from_shape("llama3-8b", "F16")
    vk = predict_speed(LLAMA, h, cfg, backend="vulkan")
    vk16 = predict_speed(f16, h, cfg, backend="vulkan")
    flat = dataclasses.replace(h, gpus=(dataclasses.replace(h.gpus[0], name="AMD GPU"),))
    assert predict_speed(LLAMA, flat, cfg, backend="vulkan").pp_terms_s["compute"] == pytest.approx(
        2 * vk.pp_terms_s["compute"]
    )
    assert predict_speed(f16, flat, cfg, backend="vulkan").pp_terms_s["compute"] == pytest.approx(
        vk16.pp_terms_s["compute"]
    )
    # IQ4_NL has no DP4A shader in ggml-vulkan: the FP16 shaders, as on the plain GPU
    nl = spec_from_shape("llama3-8b", "IQ4_NL")
    assert predict_speed(nl, h, cfg, backend="vulkan").pp_terms_s["compute"] == pytest.approx(
        predict_speed(nl, flat, cfg, backend="vulkan").pp_terms_s["compute"]
    )


def test_a_small_moe_ubatch_reads_only_the_experts_its_tokens_route_to() -> None:
    # qwen3-30b-a3b: 8 of 128 experts a token. u tokens touch 1 - (1 - 8/128)^u of the experts
    # (uniform routing): one token its own 8, a 512-token ubatch nearly all.
    moe = spec_from_shape("qwen3-30b-a3b", "Q4_K_M")
    h = host("rtx4090")
    expert = sum(t.n_bytes for t in moe.tensors if t.is_expert)
    dense = sum(t.n_bytes for t in moe.tensors if not t.is_expert)
    dense -= sum(t.n_bytes for t in moe.tensors if t.name.startswith("token_embd"))
    # the output head is read once a prompt, by the ubatch holding the last token (its logits)
    head = sum(t.n_bytes for t in moe.tensors if t.name == "output.weight")
    dense -= head
    eff = EFFICIENCY["cuda"]["kquant"]["bw"] * PRIORS["cuda"].k_bw * 1008 * GB
    for ub in (1, 4):
        p = predict_speed(moe, h, RunConfig(n_prompt=64, n_gen=0, n_ubatch=ub, n_batch=ub))
        assert p.pp_dominant == "weights"
        touched = 1 - (1 - 8 / 128) ** ub
        per_ubatch = (p.pp_terms_s["weights"] - head / eff) / (64 / ub)
        # (plus the few cells of this prompt already cached, which the ubatch attends to)
        assert per_ubatch == pytest.approx((dense + expert * touched) / eff, rel=0.01)
    one = predict_speed(moe, h, RunConfig(n_prompt=64, n_gen=0, n_ubatch=1, n_batch=1))
    four = predict_speed(moe, h, RunConfig(n_prompt=64, n_gen=0, n_ubatch=4, n_batch=4))
    assert four.pp_tokens_per_s > 1.8 * one.pp_tokens_per_s  # shared experts amortise


def test_a_small_ubatch_deep_in_the_context_reads_the_kv_cache() -> None:
    h = host("rtx4090")
    shallow = predict_speed(LLAMA, h, RunConfig(n_prompt=64, n_gen=0, n_ubatch=2, n_batch=2))
    deep = predict_speed(
        LLAMA, h, RunConfig(n_prompt=64, n_gen=0, n_ubatch=2, n_batch=2, n_depth=65536)
    )
    assert shallow.pp_dominant == deep.pp_dominant == "weights"
    # 32 layers x 8 KV heads x 128 x 2 (K and V) x 2 bytes (f16) = 128 KiB a cell
    kv_per_ubatch = 65536 * 32 * 8 * 128 * 2 * 2
    eff = EFFICIENCY["cuda"]["kquant"]["bw"] * PRIORS["cuda"].k_bw * 1008 * GB
    extra = (deep.pp_terms_s["weights"] - shallow.pp_terms_s["weights"]) / 32
    assert extra == pytest.approx(kv_per_ubatch / eff, rel=0.01)


def test_bench_lomo_refits_the_predictor_it_judges(monkeypatch: pytest.MonkeyPatch) -> None:
    """scripts/bench_lomo.py fits the priors through its own model() of the predictor's terms:
    with the shipped priors it must give what predict_speed gives, on every published row."""
    lomo, rows = _lomo(monkeypatch)  # the terms at prior 1
    published = published_rows(lomo.FOLDER)
    assert len(rows) == len(published) > 800
    for r, p in zip(rows, published, strict=True):
        pri = prior_of(r.group, r.backend)  # as _speed._prior picks it
        thread = pri.k_thread if r.backend == "cpu" else 1.0
        k = (pri.k_bw, pri.k_compute, pri.k_attn, pri.k_overhead, thread, pri.k_moe,
             pri.k_moe_matmul, pri.k_uma, pri.k_scan, pri.k_gqa, pri.k_f16, pri.k_mmvq)  # fmt: skip
        q = predict_speed(p.spec, p.host, p.cfg, None, backend=p.backend)
        want = q.pp_tokens_per_s if r.kind == "pp" else q.tg_tokens_per_s
        assert lomo.model([r], k)[0] == pytest.approx(want, rel=0.01), (r.machine, p.test)


def test_each_backend_fits_its_own_moe_layer_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    # published rows re-measured by the model itself at known MoE-layer factors per backend:
    # the GPUs' come back (their shrink toward the table is weak), the CPU's stays at the table's
    lomo, rows = _lomo(monkeypatch)
    truth = {"cuda": 4.0, "metal": 2.5, "vulkan": 3.0, "rocm": 3.0, "cpu": 3.0}
    moe = [r for r in rows if r.fits and r.terms["moe"] > 0.05 * sum(r.terms.values())]
    assert {r.backend for r in moe} >= set(truth)
    for r in moe:
        r.measured = lomo.model([r], (*lomo.NO_K[:5], truth[r.backend], *lomo.NO_K[6:]))[0]
    fitted = lomo.fit_moe(moe, {r.group: lomo.NO_K for r in moe})
    for b in ("cuda", "metal", "vulkan"):
        assert fitted[b] == pytest.approx(truth[b], rel=0.15), b
    assert fitted["metal"] < fitted["vulkan"] < fitted["cuda"]
    assert 1.0 < fitted["cpu"] < 1.5  # a full machine's shrink toward its measured table
    # and fit_all hands each group its backend's factor, the CPU's its own
    ks = lomo.fit_all([r for r in rows if r.fits])
    assert ks["metal"][lomo.MOE] == ks["metal-ultra"][lomo.MOE] != ks["cuda"][lomo.MOE]
    assert ks["vulkan-nvidia"][lomo.MOE] == ks["vulkan"][lomo.MOE]
    assert ks["cpu"][lomo.MOE] != ks["_shared"][lomo.MOE]


def test_vulkan_vendors_fit_their_own_moe_matmul_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    # Vulkan's MoE-bound prefill rows re-measured by the model at a known expert-matmul factor
    # per vendor: fit_own gives each subgroup (and AMD, the parent's own rows) its own back
    lomo, rows = _lomo(monkeypatch)
    truth = {"vulkan": 0.5, "vulkan-nvidia": 2.0}
    vk = [r for r in rows if r.fits and r.group in truth and r.kind == "pp"]
    moe = [r for r in vk if r.terms["moe_compute"] > 0.2 * sum(r.terms.values())]
    assert {r.group for r in moe} == set(truth)
    for r in vk:
        r.measured = lomo.model([r], (*lomo.NO_K[:6], truth[r.group], *lomo.NO_K[7:]))[0]
    own = {g: lomo.fit_own([r for r in vk if r.group == g], lomo.NO_K) for g in truth}
    # pulled toward the starting 1 by a machine's shrink (their expert matmuls are a fifth to
    # two thirds of the time), but each on its own side of it, and the compute factor moves
    # far less than the expert-matmul one (it sees the MoE rows too: fit_own)
    assert own["vulkan"][6] < 0.9 < 1.1 < own["vulkan-nvidia"][6]
    assert all(abs(math.log(k[1])) < abs(math.log(k[6])) / 2 for k in own.values())


def test_each_gpu_backend_fits_its_own_f16_gemm_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    # the published rows re-measured by the model with F16/BF16 GEMMs at a known factor per GPU
    # backend (ROCm's at 0.4, CUDA's at 10): fit() finds each on its side of 1, never past the
    # FP16 peak, and leaves the CPU's and the quantized rows alone
    lomo, rows = _lomo(monkeypatch)
    truth = {"rocm": 0.4, "cuda": 10.0}
    f16 = [r for r in rows if r.fits and r.f16]
    assert {r.backend for r in f16} >= {"rocm", "cuda", "metal"}
    assert all(r.kind == "pp" for r in f16)
    fitted = {}
    for b, kf in truth.items():
        own = [r for r in rows if r.fits and r.backend == b]
        for r in own:
            r.measured = lomo.model([r], (*lomo.NO_K[: lomo.F16], kf, *lomo.NO_K[lomo.F16 + 1 :]))[
                0
            ]
        fitted[b] = lomo.fit(own)
    # ROCm's two machines with F16/BF16 GEMM rows, against a machine's shrink toward 1
    assert 0.4 < fitted["rocm"][lomo.F16] < 0.75
    assert fitted["rocm"][1] == pytest.approx(1.0, rel=0.1)  # quantized prefill: untouched
    peak = 1 / (EFFICIENCY["cuda"]["f16"]["compute"] * fitted["cuda"][1])
    assert 1 < fitted["cuda"][lomo.F16] <= peak
    for g, pri in PRIORS.items():  # the shipped priors: no F16 GEMM past the FP16 peak
        b = g.split("-")[0]
        assert EFFICIENCY[b]["f16"]["compute"] * pri.k_compute * pri.k_f16 <= 1.001, g
    cpu = [r for r in rows if r.fits and r.backend == "cpu"]
    assert lomo.fit(cpu)[lomo.F16] == 1.0
    # a ubatch of 16 or fewer tokens stays on llama.cpp's own F16 kernels (mmf): no k_f16
    spec = spec_from_shape("llama-3.2-1b", "BF16")
    h = host("rx9060xt-16gb")
    group = prior_group("rocm", h.gpus[0].name, h.gpus[0].vendor, h.gpus[0].gfx_target)
    p = prior_of(group, "rocm")
    small, big = RunConfig(n_prompt=512, n_gen=0, n_ubatch=16), RunConfig(n_prompt=512, n_gen=0)
    before = [predict_speed(spec, h, c).pp_terms_s["compute"] for c in (small, big)]
    monkeypatch.setitem(PRIORS, group, dataclasses.replace(p, k_f16=p.k_f16 / 2))
    after = [predict_speed(spec, h, c).pp_terms_s["compute"] for c in (small, big)]
    assert after[0] == pytest.approx(before[0])
    assert after[1] == pytest.approx(2 * before[1])


def test_rocm_mat_vec_kernels_redo_the_dot_product_per_column(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ggml-cuda's mat-vec kernels (HIP's too) multiply 2-8 tokens in one launch but redo each
    weight block's dot product per column: under ROCm each column past the first adds a share
    of the weights' read time (k_mmvq); one token, 9 or more (MMQ) and CUDA add nothing."""
    spec = spec_from_shape("llama3-8b", "Q2_K")
    h = host("radeon-ai-pro-r9700")

    def mmvq(ub: int, backend: str = "rocm") -> float:
        cfg = RunConfig(n_prompt=ub, n_gen=0, n_ubatch=ub)
        return predict_speed(spec, h, cfg, backend=backend).inputs["sides_s"]["pp_mmvq"]

    one = mmvq(2)
    assert mmvq(1) == 0 and one > 0 and mmvq(16) == 0 and mmvq(8, "cuda") == 0
    assert mmvq(8) == pytest.approx(7 * one, rel=0.02)
    group = prior_group("rocm", h.gpus[0].name, h.gpus[0].vendor, h.gpus[0].gfx_target)
    p = prior_of(group, "rocm")
    cfg = RunConfig(n_prompt=8, n_gen=0, n_ubatch=8)
    before = predict_speed(spec, h, cfg, backend="rocm").pp_terms_s["compute"]
    monkeypatch.setitem(PRIORS, group, dataclasses.replace(p, k_mmvq=p.k_mmvq + 1))
    after = predict_speed(spec, h, cfg, backend="rocm").pp_terms_s["compute"]
    assert after - before == pytest.approx(mmvq(8), rel=0.01)
    # and bench_lomo fits ROCm's factor back from rows re-measured at a known one
    lomo, rows = _lomo(monkeypatch)
    own = [r for r in rows if r.fits and r.backend == "rocm"]
    assert any((r.sides or {}).get("pp_mmvq", 0) > 0 for r in own)
    for r in own:
        r.measured = lomo.model([r], (*lomo.NO_K[: lomo.MMVQ], 3.0))[0]
    # toward it from the table's 1, by the three machines' rows against one machine's shrink
    assert 1.1 < lomo.fit(own)[lomo.MMVQ] < 3.3


def test_a_group_with_few_machines_takes_the_pooled_interval() -> None:
    # ROCm generation has held-out rows of too few machines for its own spread: "*" applies
    assert ("rocm", "tg") not in PRIOR_SPREAD and ("*", "tg") in PRIOR_SPREAD
    p = predict_speed(LLAMA, host("rx7900xtx"), RunConfig(), backend="rocm")
    lo, hi = PRIOR_SPREAD[("*", "tg")]
    assert p.tg_interval_tokens_per_s == pytest.approx(
        (p.tg_tokens_per_s * lo, p.tg_tokens_per_s * hi)
    )


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("host_board", "../../etc/passwd", "host_board"),
        ("host_board", 5, "host_board"),
        ("superseded_by", "", "superseded_by"),
        ("superseded_by", "x" * 201, "superseded_by"),
        ("superseded_by", 17505, "superseded_by"),
    ],
)
def test_a_published_rows_marks_are_checked(
    tmp_path: Path, field: str, value: object, error: str
) -> None:
    # An empty superseded_by would count the row as today's again; a path or a number as board
    # name would become a machine key in make bench: all refused, as every field of an outside
    # file.
    src = Path(__file__).parent / "fixtures" / "published"
    data = json.loads((src / "geerlingguy-ai-benchmarks-issue29-arc-a310.json").read_text())
    assert data["results"][0]["host_board"] == "raspberry-pi-500-plus"
    data["results"][0][field] = value
    (tmp_path / "x.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match=error):
        published_rows(tmp_path)


def _lomo(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """scripts/bench_lomo.py and its rows (load() clears PRIORS for the terms at prior 1: the
    shipped priors are put back)."""
    import importlib

    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "scripts"))
    lomo = importlib.import_module("bench_lomo")
    saved = dict(PRIORS)
    try:
        return lomo, lomo.load()
    finally:
        PRIORS.clear()
        PRIORS.update(saved)


def test_gpus_on_single_board_hosts_are_machines_of_their_own_and_fit_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # geerlingguy's RX 9070 XT on a Raspberry Pi 5 (PCIe x1, the Pi's CPU driving it) runs at
    # ~0.3x of the same card in a desktop: its rows must neither pull the Vulkan priors down
    # nor be held out together with the desktop card's rows.
    lomo, rows = _lomo(monkeypatch)
    board = [r for r in rows if r.board]
    assert {r.machine for r in board} >= {
        "rx9070xt@raspberry-pi-5",
        "arc-a310@raspberry-pi-500-plus",
    }
    assert not any(r.fits for r in board)
    assert any(r.machine == "rx9070xt" and r.fits for r in rows)  # the desktop card's rows
    # Held-out predictions of every other row are the same with or without the board rows.
    pick = {"rx9070xt", "rx5700xt", "rtx4090", "rtx2080ti", "rx9070xt@raspberry-pi-5"}
    sub = [r for r in rows if r.machine in pick and r.backend == "vulkan"]
    with_boards = lomo.lomo(sub)["rigbench"]
    kept = [i for i, r in enumerate(sub) if not r.board]
    without = lomo.lomo([sub[i] for i in kept])["rigbench"]
    assert list(with_boards[kept]) == pytest.approx(list(without))


def test_a_pi4_reads_its_measured_memory_path_not_the_lpddr4_spec() -> None:
    # The BCM2711 reads ~4 GB/s (BusSpeed, catalog source) of a 12.8 GB/s spec: a catalog
    # figure measured by others plans like one this machine measured (no spec prior on it).
    h = host("raspberry-pi-4b")
    assert h.memory is not None and h.memory.measured_read_bytes_per_s == pytest.approx(4.05 * GB)
    spec = spec_from_shape("llama-3.2-1b", "Q4_0")
    p = predict_speed(spec, h, RunConfig(n_prompt=0, n_gen=128, n_threads=4), backend="cpu")
    assert p.inputs["host_bandwidth"] == "measured"
    assert p.inputs["host_bytes_per_s"] == pytest.approx(4.05 * GB)
    spec_only = dataclasses.replace(
        h, memory=dataclasses.replace(h.memory, measured_read_bytes_per_s=None)
    )
    q = predict_speed(spec, spec_only, RunConfig(n_prompt=0, n_gen=128, n_threads=4), backend="cpu")
    assert q.tg_tokens_per_s > 1.3 * p.tg_tokens_per_s  # the spec's 12.8 GB/s x the prior


def test_arm_cores_without_dot_products_prefill_quantized_weights_at_a_third() -> None:
    # Cortex-A72 (Pi 4) has no SDOT: ggml-cpu's int8 dot product falls back to six NEON
    # instructions (NO_DOTPROD_RATIO); F16 weights take no int8 path and are not slowed.
    from bench.predictor._efficiency import NO_DOTPROD_RATIO

    pi4 = host("raspberry-pi-4b")
    assert pi4.cpu is not None and pi4.cpu.isa_flags["DOTPROD"] is False
    pi5 = host("raspberry-pi-5-8gb")
    assert pi5.cpu is not None and pi5.cpu.isa_flags["DOTPROD"] is True
    with_dot = dataclasses.replace(
        pi4, cpu=dataclasses.replace(pi4.cpu, isa_flags={**pi4.cpu.isa_flags, "DOTPROD": True})
    )
    cfg = RunConfig(n_prompt=512, n_gen=0, n_threads=4)
    for quant, ratio in (
        ("Q4_0", 1 / NO_DOTPROD_RATIO),
        ("Q4_K_M", 1 / NO_DOTPROD_RATIO),
        ("F16", 1.0),
    ):
        spec = spec_from_shape("llama-3.2-1b", quant)
        slow = predict_speed(spec, pi4, cfg, backend="cpu").pp_terms_s["compute"]
        fast = predict_speed(spec, with_dot, cfg, backend="cpu").pp_terms_s["compute"]
        # (with the dot product, the types ggml-cpu repacks prefill faster still; F16: none)
        gain = cpu_type_gain(with_dot.cpu, spec, model_family(spec))
        assert gain == (1.0 if quant == "F16" else pytest.approx(ARM_REPACK_GAIN)), quant
        assert slow == pytest.approx(ratio * fast * gain), quant


def test_a_row_whose_kernel_a_later_change_replaced_is_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # PR 17505's master column times Volta before its mma flash attention existed, PR 22880's
    # RDNA3 before its mma flash attention, PR 18749's the Radeon 8060S's Vulkan matmul tiles
    # before it retuned them: today's llama.cpp runs other kernels there, so those rows neither
    # fit nor judge the priors (the PRs' own columns, where transcribed, do).
    rows = published_rows(Path(__file__).parent / "fixtures" / "published")
    gone = [r for r in rows if r.superseded_by]
    # (and PR 19375's M2 Ultra master column, qwen3next before its graph was optimised; PR
    # 16739's M4 Max CPU column before its arm64 q4_K repack; issue 19255's first table, which
    # its reporter found had run AMDVLK instead of RADV; CPU rows measured before their
    # type's repack reached their ISA, or before x86's tiled K-quant mul_mat; Vulkan MoE
    # prefill on an RTX 5090 and an RX 6800 before the mul_mat_id rewrites of PRs 14555-18332
    # and 15524; PR 27841's MI50 master column, before GCN had MMQ tiles of its own; the
    # baseline columns of merged CUDA PRs whose own column is stored beside them; a DGX Spark's
    # gpt-oss prefill before Blackwell's native FP4 MMQ, PR 17906)
    assert {r.machine for r in gone} == {
        "rtx5090",
        "rx6800",
        "v100-pcie-32gb",
        "ryzen-ai-max-395-128gb",
        "m2-ultra-192gb",
        "m4-max-128gb",
        "rx7900xtx",
        "desktop-7950x-cpu",
        "threadripper-5975wx-cpu",
        "framework12-i3-1315u",
        "macbook-pro-2014-i5-4278u",
        "m2-max-96gb",
        "m4-pro-48gb",
        "mi50-32gb",
        "rtx4090",
        "rtx3090",
        "tesla-p40",
        "dgx-spark",
    }
    # a CPU row is history for its generation too where its type's repack reached its ISA after
    # its build: repacked weights run repack.cpp's GEMV for one token as well (the runner's
    # twins, llama-bench tg64 at 1 thread, --repack 1 over 0: Q4_0 1.48x, IQ4_NL 1.71x, Q4_K_M
    # 1.28x, gpt-oss MXFP4 1.19x; Q8_0, which x86 does not repack, 1.03x)
    cpu_tg = {
        (r.machine, r.test)
        for r in gone
        if r.kind == "tg" and (r.backend == "cpu" or not r.host.gpus)
    }
    assert cpu_tg == {
        ("desktop-7950x-cpu", "llama-3.1-8b IQ4_NL tg128"),
        ("desktop-7950x-cpu", "llama-3.1-8b Q4_K_S tg128"),
        ("desktop-7950x-cpu", "llama3-8b Q4_0 tg128"),
        ("desktop-7950x-cpu", "gpt-oss-20b MXFP4 tg128"),
        ("threadripper-5975wx-cpu", "llama3-8b Q4_0 tg128"),
        ("macbook-pro-2014-i5-4278u", "llama-3.2-3b Q4_K_M tg128"),
        ("framework12-i3-1315u", "llama-3.2-3b Q4_K_M tg128"),
        ("m2-max-96gb", "llama-3.1-8b Q8_0 tg128"),
        ("m2-max-96gb", "llama-3.1-8b Q4_K_S tg128"),
        ("m2-max-96gb", "llama-3.1-8b Q5_K_S tg128"),
        ("m2-max-96gb", "llama-3.1-8b Q6_K tg128"),
        ("m4-pro-48gb", "gpt-oss-20b MXFP4 tg64"),
        # (PRs 16739 and 18860's own 'before' columns: the M4 Max's tg128 rose 1.09-1.11x)
        ("m4-max-128gb", "llama-3.1-8b Q4_K_M tg128"),
        ("m4-max-128gb", "qwen3-8b Q4_K_M tg128"),
        ("m4-max-128gb", "qwen3-8b Q5_K_M tg128"),
    }
    strix = {r.backend for r in gone if r.machine == "ryzen-ai-max-395-128gb"}
    assert strix == {"vulkan", "rocm"}
    _, judged = _lomo(monkeypatch)
    for r, p in zip(judged, rows, strict=True):
        if p.superseded_by:
            assert not r.current and not r.fits
    # the PR's own column of the same test is today's and judged
    after = [
        r
        for r, p in zip(judged, rows, strict=True)
        if p.source == "llama-cpp-pr18749-vulkan-amd-coopmat-8060s" and p.backend == "vulkan"
    ]
    assert sum(r.fits for r in after) == 6 and sum(not r.fits for r in after) == 6


def test_a_gpu_ubatch_waits_for_its_weight_tiles_and_its_math() -> None:
    # MMQ and mul_mm load a weight tile, synchronise, then multiply: on a GPU a ubatch's weight
    # read and its matmuls add up; a CPU's prefetchers overlap them (the larger one counts).
    cfg = RunConfig(n_prompt=512, n_gen=0, n_ubatch=32)
    g = predict_speed(LLAMA, host("rtx3090"), cfg, backend="cuda")
    assert g.pp_terms_s["compute"] > 0 and g.pp_terms_s["weights"] > 0
    sides = g.inputs["sides_s"]
    assert g.pp_terms_s["weights"] == pytest.approx(sides["pp_read"])
    assert g.pp_terms_s["compute"] == pytest.approx(sides["pp_compute"])
    # the ubatch's time is both, plus the fixed costs: the total the tokens/s come from
    total = sides["pp_compute"] + sides["pp_attention"] + sides["pp_read"]
    fixed = g.pp_terms_s["overhead"] + g.pp_terms_s["moe"] + g.pp_terms_s["host_hop"]
    assert 512 / g.pp_tokens_per_s == pytest.approx(total + fixed)
    c = predict_speed(LLAMA, host("desktop-7950x-cpu"), cfg, backend="cpu")
    assert c.pp_terms_s["weights"] == 0 or c.pp_terms_s["compute"] == 0


def test_an_apu_gpu_reaches_the_shared_apu_share_of_its_compute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Strix Halo (Vulkan, ROCm) and DGX Spark's GB10 (CUDA) prefill below the discrete cards of
    # their backend: one shared factor scales their compute; Apple under Metal is left to
    # Metal's own priors, and tg (bandwidth) does not move.
    from bench.predictor._speed import shares_apu_memory

    strix, spark, mac = host("ryzen-ai-max-395-128gb"), host("dgx-spark"), host("m2-ultra-192gb")
    assert shares_apu_memory("vulkan", strix.gpus[0]) and shares_apu_memory("cuda", spark.gpus[0])
    assert not shares_apu_memory("metal", mac.gpus[0])
    assert not shares_apu_memory("cuda", host("rtx4090").gpus[0])
    cfg = RunConfig(n_prompt=512, n_gen=128)
    for h, backend in ((strix, "vulkan"), (strix, "rocm"), (spark, "cuda"), (mac, "metal")):
        base = predict_speed(LLAMA, h, cfg, backend=backend)
        shipped = PRIORS[base.inputs["prior"]].k_uma
        for group in {backend, base.inputs["prior"]}:
            monkeypatch.setitem(PRIORS, group, dataclasses.replace(PRIORS[group], k_uma=0.5))
        half = predict_speed(LLAMA, h, cfg, backend=backend)
        ratio = shipped / 0.5 if backend != "metal" else 1.0
        assert half.pp_terms_s["compute"] == pytest.approx(ratio * base.pp_terms_s["compute"])
        assert half.tg_tokens_per_s == pytest.approx(base.tg_tokens_per_s)
        monkeypatch.undo()


def test_a_tied_head_is_read_per_token_and_prefill_multiplies_one_row_by_it() -> None:
    # llama-3.2-1b ties its output head to token_embd: a generated token reads the table whole,
    # as it would a separate output.weight of the same type; a prompt's matmuls leave the head
    # out either way (llama-bench asks the last token's logits only)
    tied = spec_from_shape("llama-3.2-1b", "Q8_0")
    assert tied.ties_output
    embd = next(t for t in tied.tensors if t.name == "token_embd.weight")
    untied = dataclasses.replace(
        tied, tensors=(*tied.tensors, dataclasses.replace(embd, name="output.weight"))
    )
    h, cfg = host("rtx4090"), RunConfig(n_prompt=512, n_gen=128)
    a, b = predict_speed(tied, h, cfg), predict_speed(untied, h, cfg)
    assert a.tg_terms_s["weights"] == pytest.approx(b.tg_terms_s["weights"], rel=1e-9)
    assert a.pp_terms_s["compute"] == pytest.approx(b.pp_terms_s["compute"], rel=1e-9)
    # against the layers alone (no table at all), a token reads the table's bytes more
    headless = dataclasses.replace(tied, tensors=tuple(t for t in tied.tensors if t is not embd))
    body = sum(t.n_bytes for t in headless.tensors)
    c = predict_speed(headless, h, cfg)
    assert a.tg_terms_s["weights"] == pytest.approx(
        c.tg_terms_s["weights"] * (body + embd.n_bytes) / body, rel=1e-6
    )


def test_a_gpu_prefills_recurrent_layers_token_by_token(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fused gated-delta-net kernel walks a ubatch's tokens one after another: each token
    of each recurrent layer adds SCAN_STEP_S x k_scan to a GPU's prefill, whatever the FLOPs;
    generation, attention-only models and CPUs (their attention rate costs it) get nothing."""
    qwen = spec_from_shape("qwen3.5-35b-a3b", "Q4_K_M")
    n_rec = sum(1 for il in range(qwen.n_layer - qwen.n_layer_nextn) if qwen.is_recurrent(il))
    assert 0 < n_rec < qwen.n_layer
    cfg = RunConfig(n_prompt=1024, n_gen=64, n_ubatch=512)
    m5 = host("m5-max-128gb")
    base = predict_speed(qwen, m5, cfg)
    metal = PRIORS["metal"]
    monkeypatch.setitem(PRIORS, "metal", dataclasses.replace(metal, k_scan=metal.k_scan * 3))
    slow = predict_speed(qwen, m5, cfg)
    # a term of its own: the time a prefill spends walking the recurrent layers' tokens
    assert base.pp_terms_s["scan"] == base.inputs["sides_s"]["pp_scan"] > 0
    assert base.pp_terms_s["attention"] == slow.pp_terms_s["attention"]
    added = slow.pp_terms_s["scan"] - base.pp_terms_s["scan"]
    assert added == pytest.approx(2 * metal.k_scan * 1024 * n_rec * SCAN_STEP_S["metal"])
    assert slow.pp_tokens_per_s < base.pp_tokens_per_s
    assert slow.tg_tokens_per_s == base.tg_tokens_per_s
    dense = predict_speed(LLAMA, m5, cfg)
    assert dense.pp_tokens_per_s == predict_speed(LLAMA, m5, cfg).pp_tokens_per_s
    assert dense.inputs["sides_s"]["pp_scan"] == dense.pp_terms_s["scan"] == 0.0
    cpu = predict_speed(qwen, host("desktop-7950x-cpu"), cfg)
    assert SCAN_STEP_S["cpu"] == 0.0 and cpu.inputs["sides_s"]["pp_scan"] == 0.0


def test_only_layers_with_kv_heads_attend() -> None:
    """Nemotron-H interleaves Mamba-2, feed-forward-only and attention layers; only the last
    attend (src/models/nemotron-h.cpp: attention where n_ff(il) == 0, the GGUF's head_count_kv
    0 elsewhere). Attention FLOPs and, without flash attention, score traffic grow with depth in
    those layers alone, so deep prefill of a hybrid is not charged for layers that never look
    back; a dense model's every layer still is."""
    nemo = spec_from_shape("nemotron-3-nano-30b-a3b", "IQ4_XS")
    where = [0] * (nemo.n_layer + 1)
    attending = [
        il for il in range(nemo.n_layer) if not nemo.is_recurrent(il) and nemo.n_head_kv[il] > 0
    ]
    ffn_only = [
        il for il in range(nemo.n_layer) if not nemo.is_recurrent(il) and nemo.n_head_kv[il] == 0
    ]
    assert len(attending) == 6 and len(ffn_only) == 23
    grow = attn_work(nemo, where, 0, 16384.0) - attn_work(nemo, where, 0, 8192.0)
    assert grow == pytest.approx(sum(nemo.n_head[il] * nemo.head_k(il) for il in attending) * 8192)
    scores = score_bytes(nemo, where, 0, 8192.0)
    assert scores == pytest.approx(sum(nemo.n_head[il] for il in attending) * 8192 * 4 * 4)
    dense = [0] * (LLAMA.n_layer + 1)
    per_cell = sum(LLAMA.n_head[il] * LLAMA.head_k(il) for il in range(LLAMA.n_layer))
    assert attn_work(LLAMA, dense, 0, 4096.0) == pytest.approx(per_cell * 4096)
    # a deep prefill of the hybrid slows by its six attention layers only
    r9700 = host("radeon-ai-pro-r9700")
    shallow, deep = (RunConfig(n_prompt=2048, n_gen=0, n_depth=d) for d in (0, 32768))
    ratio = (
        predict_speed(nemo, r9700, deep).pp_tokens_per_s
        / predict_speed(nemo, r9700, shallow).pp_tokens_per_s
    )
    assert 0.6 < ratio < 1.0


def test_blackwell_multiplies_fp4_weights_natively_in_prefill() -> None:
    """ggml-cuda's MMQ multiplies MXFP4 weights on Blackwell's FP4 instruction (compute
    capability 12.x: PR 17906), twice the int8 path's products: an MXFP4 MoE's expert matmuls in
    prefill take half the time there; not on an Ada card, not under Vulkan, not at the mat-vec
    ubatches, not for Q4_0 weights, and never in generation. A probed compute capability decides
    over the name."""
    oss, q4 = spec_from_shape("gpt-oss-20b", "MXFP4"), spec_from_shape("llama3-8b", "Q4_0")
    h = host("rtx5090")
    as_ada = dataclasses.replace(h, gpus=[dataclasses.replace(h.gpus[0], compute_capability="8.9")])
    pp, small, tg = (
        RunConfig(n_prompt=512, n_gen=0),
        RunConfig(n_prompt=512, n_gen=0, n_ubatch=8),
        RunConfig(n_prompt=0, n_gen=128),
    )
    native, int8 = predict_speed(oss, h, pp).pp_terms_s, predict_speed(oss, as_ada, pp).pp_terms_s
    assert native["moe_compute"] == pytest.approx(int8["moe_compute"] / NATIVE_FP4_GAIN, rel=1e-3)
    assert native["compute"] == pytest.approx(int8["compute"])  # attention/router: not FP4
    assert native["weights"] == pytest.approx(int8["weights"])  # the reads do not change
    for spec, cfg in ((oss, small), (q4, pp)):
        assert predict_speed(spec, h, cfg).pp_tokens_per_s == pytest.approx(
            predict_speed(spec, as_ada, cfg).pp_tokens_per_s
        )
    assert predict_speed(oss, h, tg).tg_tokens_per_s == pytest.approx(
        predict_speed(oss, as_ada, tg).tg_tokens_per_s
    )
    vk = predict_speed(oss, h, pp, backend="vulkan").pp_terms_s
    assert vk["moe_compute"] == pytest.approx(
        predict_speed(oss, as_ada, pp, backend="vulkan").pp_terms_s["moe_compute"]
    )
    gpu = h.gpus[0]
    for name, cc, native_path in (
        ("NVIDIA GeForce RTX 5060 Ti", None, True),
        ("NVIDIA RTX PRO 6000 Blackwell Max-Q Workstation Edition", None, True),
        ("NVIDIA GB10", None, True),
        ("NVIDIA RTX 5000 Ada Generation", None, False),
        ("NVIDIA GeForce RTX 3050", None, False),
        ("NVIDIA Thor", None, False),
        ("NVIDIA B200", "10.0", False),
        ("NVIDIA GeForce RTX 5090", "10.0", False),  # the probed capability decides
        ("Some future part", "12.1", True),
    ):
        g = dataclasses.replace(gpu, name=name, compute_capability=cc)
        assert native_fp4("cuda", g) is native_path, name
        assert not native_fp4("vulkan", g)

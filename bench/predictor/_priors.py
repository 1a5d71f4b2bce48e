"""The per-backend priors of the speed model: corrections to its starting efficiencies fitted on
published llama-bench results of many machines (scripts/bench_lomo.py --fit), the groups they
are fitted in, and the 80 % spread of the predictions they give on machines held out."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Prior:
    """A backend's corrections to the starting efficiencies, fitted on published llama-bench
    results of many machines (scripts/bench_lomo.py): bandwidth, matmul compute, attention and
    the fixed per-token/per-layer overhead."""

    k_bw: float = 1.0
    k_compute: float = 1.0
    k_attn: float = 1.0
    k_overhead: float = 1.0
    # CPUs only: what one thread streams, against PER_THREAD_BW (cores differ: a Zen 4 or an
    # Apple P-core reads far more than a server core in a VM, a Cortex-A72 far less); k_bw
    # then scales the socket's bandwidth alone (the lower of the two caps binds)
    k_thread: float = 1.0
    # MoE layers' routing nodes (_speed.MOE_EXTRA_NODES): their fixed cost against the node
    # count's share of layer_s; one value for every backend (few machines publish MoE runs)
    k_moe: float = 1.0
    # MoE expert matmuls in prefill (mul_mat_id) against the dense matmul rate
    k_moe_matmul: float = 1.0


NO_PRIOR = Prior()
# Fitted by `python scripts/bench_lomo.py --fit` on tests/fixtures/published/ (809 llama-bench
# rows of 40 first-hand machines and the second-hand scoreboard copies), each factor on the
# rows it governs, every machine weighing the same, shrunk toward the table by one
# pseudo-machine, the bandwidth factor with a Huber loss (bench_lomo.py HUBER_BW); CUDA, ROCm
# and Vulkan rows of builds before 2025 left out (bench_lomo.py CURRENT_FROM: those kernels
# were rewritten since). Held-out error of this procedure (make bench): see the closing notes
# of issue 14; Metal pp 10 %, CUDA tg 13 %, all tg 23 %; the CUDA scoreboard
# (#15013, LLaMA 2 7B Q4_0) within 0.97-1.34x on pp from an RTX 3090 to an H100 once quantized
# matmuls are costed at GpuInfo.spec_mmq_flops (0.24-1.9x before).
PRIORS: dict[str, Prior] = {
    "cuda": Prior(1.070, 1.616, 0.351, 1.000, k_moe=1.302, k_moe_matmul=0.740),
    "rocm": Prior(0.922, 0.551, 0.747, 1.000, k_moe=1.302, k_moe_matmul=0.608),
    "vulkan": Prior(0.983, 0.617, 0.890, 1.322, k_moe=1.302, k_moe_matmul=0.993),
    "metal": Prior(1.055, 1.138, 1.000, 1.000, k_moe=1.302, k_moe_matmul=1.000),
    "cpu": Prior(0.560, 1.052, 1.186, 1.000, k_thread=1.013, k_moe=1.302, k_moe_matmul=1.000),
    # Apple Ultra chips (prior_group): bandwidth factor 0.76 of the table, as two dies imply
    "metal-ultra": Prior(0.769, 1.066, 0.972, 1.200, k_moe=1.302, k_moe_matmul=0.934),
}
# measured / predicted, 10th and 90th percentile, per backend and test, of the held-out
# predictions above (scripts/bench_lomo.py --fit): the 80 % interval of an uncalibrated
# prediction (make bench reports how many held-out rows it covers when each machine's own rows
# are left out of its interval too). Wide where the data disagree: ROCm prefill holds Strix
# Halo's stock-rocBLAS runs at a fifth of the rest; CPU rows span a Raspberry Pi 4 to a Zen 4.
PRIOR_SPREAD: dict[tuple[str, str], tuple[float, float]] = {
    ("cuda", "pp"): (0.50, 1.93),
    ("cuda", "tg"): (0.77, 1.17),
    ("rocm", "pp"): (0.15, 2.32),
    ("rocm", "tg"): (0.59, 1.19),
    ("vulkan", "pp"): (0.31, 2.30),
    ("vulkan", "tg"): (0.41, 1.47),
    ("metal", "pp"): (0.95, 1.08),
    ("metal", "tg"): (0.86, 1.13),
    ("cpu", "pp"): (0.32, 1.63),
    ("cpu", "tg"): (0.41, 1.92),
    ("metal-ultra", "pp"): (0.87, 1.21),
    ("metal-ultra", "tg"): (0.71, 1.22),
}
PRIOR_SPREAD_GROUPS = {b for b, _ in PRIOR_SPREAD}
Z80 = 1.2816  # the standard normal's 90th percentile: mean +- Z80 sd holds 80 %


def prior_group(backend: str, gpu_name: str | None) -> str:
    """The PRIORS group of a GPU: its backend, except Apple's Ultra chips under Metal: two Max
    dies joined by UltraFusion; llama.cpp reaches a smaller share of the doubled bandwidth
    (discussion #4167's table: an M2 Ultra generates ~1.4x an M2 Max, at 2x the bandwidth).
    Each group's factors are fitted on its own rows (scripts/bench_lomo.py); a group without
    fitted factors falls back to its backend's."""
    name = (gpu_name or "").lower()
    if backend == "metal" and " ultra" in name:
        return "metal-ultra"
    return backend

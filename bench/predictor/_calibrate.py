"""Calibration: fit this host's efficiency corrections from stored measurements.

Per backend, ``k_bw`` scales the bandwidth efficiency (fitted on tg points, those without a
context where there are some), ``k_compute`` the compute efficiency (fitted on pp points) and
``k_attn`` attention's (on the points at depth), in turn: each minimises the Huber loss of the
log ratio of measured to predicted tokens/s over its points, by a grid then golden-section
search. A CPU whose socket read was measured gets ``k_socket`` too: the socket's factor, at
least 1, while ``k_bw`` scales what its threads stream. A factor that would make any
efficiency exceed 1 (faster than the hardware's spec) is refused.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.model import ModelSpec, model_spec_from_dict
from bench.predictor._priors import Z80, host_prior_group, prior_of
from bench.predictor._speed import (
    EFFICIENCY,
    PREDICTOR_VERSION,
    SPEC_TO_ACHIEVABLE,
    host_bandwidth,
    predict_speed,
    shares_apu_memory,
)
from bench.records import Calibration, RunConfig
from bench.store import Store, fingerprint
from probe import HostProfile
from probe.errors import UserError

K_MIN, K_MAX = 0.05, 20.0
# Past a 10 % miss (log ratio 0.1, about this shared runner's run-to-run spread) a point's loss
# grows linearly, not squared: one disturbed point must not carry the fit. On stop 35's runner
# one of bench_predict's 24 generation points read 17.3 t/s where the same test read 58-70 in
# the other rounds (+265 % against the fit); with squared losses over every generation point
# k_bw came out 0.43, with this loss 0.47, and with it fitted on the 6 points at depth 0 only
# (below) 0.50; the two other twins' calibrated generation 11-24 % low, then 7-15 %.
HUBER_DELTA = 0.1
GRID = 25  # _golden's first look: log-spaced points over [K_MIN, K_MAX] (1.28x apart)
# A hair of cost per squared log of a factor: where the loss is flat over a range (the cap a
# factor scales binds none of the points there) the fit keeps the factor nearest 1.
TIE = 1e-6


@dataclass(frozen=True, slots=True)
class Point:
    spec: ModelSpec
    cfg: RunConfig
    measured_tps: float
    kind: str  # pp | tg


@dataclass(frozen=True, slots=True)
class CalibrationFit:
    backend: str
    calibration: Calibration
    warnings: tuple[str, ...]
    tg_points: int
    pp_points: int


def _golden(f: Callable[[float], float], lo: float, hi: float, iters: int = 30) -> float:
    """Minimise f over log-space [lo, hi]: the best of a grid of GRID points, then golden
    section within its neighbours. The grid first because a loss can be flat over a range (a
    cap that does not bind at those values): golden section alone walks off along the flat
    side whatever the minimum beside it."""
    a0, b0 = math.log(lo), math.log(hi)
    xs = [a0 + (b0 - a0) * i / (GRID - 1) for i in range(GRID)]
    fs = [f(math.exp(x)) for x in xs]
    i = min(range(GRID), key=fs.__getitem__)
    a, b = xs[max(i - 1, 0)], xs[min(i + 1, GRID - 1)]
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = f(math.exp(c)), f(math.exp(d))
    for _ in range(iters):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = f(math.exp(c))
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = f(math.exp(d))
    x = (a + b) / 2
    return math.exp(x) if f(math.exp(x)) <= fs[i] else math.exp(xs[i])


def _huber(r: float) -> float:
    """The Huber loss of a log ratio: squared within HUBER_DELTA, linear past it."""
    a = abs(r)
    return r * r if a <= HUBER_DELTA else HUBER_DELTA * (2 * a - HUBER_DELTA)


def _residual_sd(logs: list[float], n_factors: int = 3) -> float:
    """The residuals' spread as the sd of a normal whose 80 % interval about the prediction
    holds as many of them: their 80th percentile |log ratio| over Z80, with the degrees of
    freedom the fitted factors took back (x sqrt(n / (n - n_factors))). A few disturbed points
    (fewer than a fifth) do not widen it; a root mean square below n_factors + 1 points."""
    n = len(logs)
    if n <= n_factors:
        return math.sqrt(sum(x * x for x in logs) / n)
    q80 = statistics.quantiles([abs(x) for x in logs], n=5, method="inclusive")[3]
    return q80 / Z80 * math.sqrt(n / (n - n_factors))


def _pred(p: Point, host: HostProfile, backend: str, cal: Calibration) -> float:
    s = predict_speed(p.spec, host, p.cfg, {backend: cal})
    return s.tg_tokens_per_s if p.kind == "tg" else s.pp_tokens_per_s


def fit(points: list[Point], host: HostProfile, backend: str) -> CalibrationFit:
    warnings: list[str] = []
    tg = [p for p in points if p.kind == "tg" and p.measured_tps > 0]
    pp = [p for p in points if p.kind == "pp" and p.measured_tps > 0]
    families = {f for f in EFFICIENCY[backend] if f != "_"}
    max_bw = max(EFFICIENCY[backend][f]["bw"] for f in families)
    measured_bw = backend == "cpu" and host_bandwidth(host)[1] == "measured"
    if measured_bw:
        # A measured read is itself ~80 % of the DRAM's physical rate: efficiency against it
        # may exceed 1 up to that margin before anything is unphysical.
        max_bw *= SPEC_TO_ACHIEVABLE
    # what the factors multiply: the table's efficiency times the backend's published prior
    # (whose bandwidth factor scales a CPU's spec socket bandwidth, not a measured one:
    # _speed._devices; a thread-bound CPU reads less, so the bound is the socket's)
    # (the group's own: a CPU's core family's, a GPU's vendor or architecture subgroup's)
    prior = prior_of(host_prior_group(host, backend), backend)
    max_bw *= 1.0 if measured_bw else prior.k_bw
    # F16/BF16 weights' GEMMs run at the prior's k_f16 of that (_efficiency.f16_gemm_factor)
    max_c = max(
        EFFICIENCY[backend][f]["compute"] * (prior.k_f16 if f == "f16" else 1.0) for f in families
    )
    # an APU GPU's compute carries the shared APU factor too (_speed.shares_apu_memory)
    apu = any(shares_apu_memory(backend, g) for g in host.gpus)
    max_c *= prior.k_compute * (prior.k_uma if apu else 1.0)

    deep = [p for p in tg + pp if p.cfg.n_depth > 0]
    # k_bw from the generation points without a context where there are some: at depth the
    # cache's part of each token (on a CPU bound by attending to it, _speed: tg_kv_compute) is
    # k_attn's to fit, and a depth's misfit must not move the weights' rate
    shallow = [p for p in tg if p.cfg.n_depth == 0] or tg
    # A measured socket is read as a floor: the memory delivered that much to this machine's
    # cores, so generation reading less of it was bound by what the threads decode (k_bw, the
    # threads' cap, fits that), and the socket's own factor rises above 1 only if the points
    # read more than it allows (k_socket, CPUs with a measured socket only). Scaling both caps
    # alike, as a spec socket's calibration does, predicts every weight type at the
    # calibration's rate per byte once the socket binds: on stop 36's runner (2-core EPYC VM,
    # 29-43 GB/s measured) the 250M Q4_K_M twin read ~27 GB/s at 2 threads, the 500M Q8_0
    # 31-35 (llama-bench tg64, medians of 3-6), and calibrated that way the Q8_0 was
    # predicted 16-19 % under in all three runs.
    socket_apart = measured_bw and bool(tg)
    names = ("bw", "compute", "attn", "socket")
    fixed: dict[str, float] = {}

    def make(ks: dict[str, float]) -> Calibration:
        socket = ks["socket"] if socket_apart else None
        return Calibration(ks["bw"], ks["compute"], ks["attn"], k_socket=socket)

    def step(ks: dict[str, float], name: str, pts: list[Point], lo: float = K_MIN) -> float:
        def f(k: float) -> float:
            c = make({**ks, name: k})
            return TIE * math.log(k) ** 2 + sum(
                _huber(math.log(p.measured_tps / _pred(p, host, backend, c))) for p in pts
            )

        return _golden(f, lo, K_MAX)

    def descend() -> dict[str, float]:
        # Coordinate descent: each factor in turn with the others fixed; the terms interact
        # (attention adds to matmuls, bandwidth and compute meet in a max), so a few rounds.
        ks = {n: fixed.get(n, 1.0) for n in names}
        for _ in range(5):
            before = dict(ks)
            if tg and "bw" not in fixed:
                ks["bw"] = step(ks, "bw", shallow)
            if socket_apart and "socket" not in fixed:
                ks["socket"] = step(ks, "socket", shallow, lo=1.0)
            if pp and "compute" not in fixed:
                ks["compute"] = step(ks, "compute", pp)
            if deep and "attn" not in fixed:
                ks["attn"] = step(ks, "attn", deep)
            if all(abs(math.log(ks[n] / before[n])) < 1e-4 for n in names):
                break  # converged: another round moves no factor
        return ks

    ks = descend()
    # Physical bounds are checked on the converged fit; a factor past them is refused (kept
    # at 1.0) and the others are fitted again around it. The socket's bound is the
    # bandwidth's (with it apart, k_bw scales the threads' cap only: no physical bound).
    k_phys = ks["socket"] if socket_apart else ks["bw"]
    if k_phys * max_bw > 1:
        warnings.append(
            f"{backend}: bandwidth factor {k_phys:.2f} would put efficiency at "
            f"{k_phys * max_bw:.2f} > 1 (faster than the hardware): refused, kept 1.0"
        )
        fixed["socket" if socket_apart else "bw"] = 1.0
    if ks["compute"] * max_c > 1:
        warnings.append(
            f"{backend}: compute factor {ks['compute']:.2f} would put efficiency at "
            f"{ks['compute'] * max_c:.2f} > 1: refused, kept 1.0"
        )
        fixed["compute"] = 1.0
    if fixed:
        ks = descend()
    if ks["attn"] * ks["compute"] * max_c > 1:
        warnings.append(f"{backend}: attention factor {ks['attn']:.2f} refused (efficiency > 1)")
        ks["attn"] = 1.0
    cal = make(ks)
    logs = [math.log(p.measured_tps / _pred(p, host, backend, cal)) for p in tg + pp]
    sd = _residual_sd(logs) if len(logs) > 1 else None
    cal = dataclasses.replace(cal, n_points=len(logs), residual_sd=sd)
    return CalibrationFit(backend, cal, tuple(warnings), len(tg), len(pp))


def points_from_store(store: Store, fp: str, skipped: list[str] | None = None) -> list[Point]:
    """Every ok point measured on the host ``fp``, with its sweep's ModelSpec; a sweep whose
    stored spec can no longer be read (model_spec_from_dict refuses it) is left out, its
    reason appended to ``skipped``."""
    out = []
    for sweep in store.sweeps(fp=fp):
        if not sweep.model_spec:
            continue
        try:
            spec = model_spec_from_dict(sweep.model_spec)
        except UserError as exc:
            if skipped is not None:
                skipped.append(f"sweep {sweep.id} left out: {exc}")
            continue
        for pt in store.points(sweep_id=sweep.id, status="ok"):
            if pt.measurement.avg_ts:
                out.append(Point(spec, pt.config, float(pt.measurement.avg_ts), pt.kind))
    return out


def measured_backends(store: Store, fp: str) -> list[str]:
    """The backends the host ``fp`` has stored sweeps for, sorted."""
    return sorted({str(s.engine.get("backend") or "cpu") for s in store.sweeps(fp=fp)})


def calibrate(store: Store, host: HostProfile, fp: str, backend: str) -> CalibrationFit:
    """CalibrationFit and store the calibration of (host, backend) from its stored measurements."""
    skipped: list[str] = []
    points = points_from_store(store, fp, skipped)
    result = fit(points, host, backend)
    if skipped:
        result = dataclasses.replace(result, warnings=(*result.warnings, *skipped))
    if result.calibration.n_points:
        store.save_calibration(fp, backend, result.calibration, PREDICTOR_VERSION)
    return result


def load_calibrations(store: Store, fp: str) -> dict[str, Calibration]:
    """The stored calibrations of the host ``fp`` fitted for this predictor version."""
    return {
        b: cal
        for b, (cal, version) in store.calibrations(fp).items()
        if version == PREDICTOR_VERSION
    }


def stored_calibrations(path: Path | None, host: HostProfile) -> dict[str, Calibration]:
    """This machine's calibrations in the store at ``path``: none without a store, and none for
    a machine that was not probed here (a catalog or saved profile has no measurements)."""
    if path is None or host.source != "probe" or not path.is_file():
        return {}
    store = Store.open(path)
    try:
        return load_calibrations(store, fingerprint(host))
    finally:
        store.close()

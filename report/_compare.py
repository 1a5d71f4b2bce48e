"""Compare two sweeps point by point, with Welch's t-test on the raw samples, and the CI gate."""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass

from report._data import Report, Row


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the regularised incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c if abs(1.0 + aa / c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-12:
            break
    return h


def _betainc(a: float, b: float, x: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lbeta + a * math.log(x) + b * math.log(1 - x))
    if x < (a + 1) / (a + b + 2):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1 - x) / b


def t_two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom."""
    return _betainc(df / 2, 0.5, df / (df + t * t))


def welch_p(a: list[float], b: list[float]) -> float | None:
    """Two-sided p-value that a and b have the same mean; None with under two samples each."""
    if len(a) < 2 or len(b) < 2:
        return None
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    if va + vb == 0:
        return 0.0 if statistics.mean(a) != statistics.mean(b) else 1.0
    t = (statistics.mean(a) - statistics.mean(b)) / math.sqrt(va + vb)
    df = (va + vb) ** 2 / ((va**2 / (len(a) - 1)) + (vb**2 / (len(b) - 1)))
    return t_two_sided_p(t, df)


def samples_tps(r: Row) -> list[float]:
    n = r.cfg.n_prompt + r.cfg.n_gen
    return [n * 1e9 / ns for ns in r.samples_ns if ns > 0]


def key(r: Row) -> tuple[object, ...]:
    """The matching key: the configuration of the point."""
    c = r.cfg
    return (
        c.n_prompt,
        c.n_gen,
        c.n_depth,
        c.n_batch,
        c.n_ubatch,
        c.n_threads,
        c.n_gpu_layers,
        c.n_cpu_moe,
        c.type_k,
        c.type_v,
        c.flash_attn,
    )


@dataclass(frozen=True, slots=True)
class Delta:
    test: str
    config: str
    a_tps: float
    b_tps: float
    speedup: float
    p_value: float | None
    significant: bool


def compare(a: Report, b: Report, alpha: float = 0.05) -> list[Delta]:
    rows_a = {key(r): r for r in a.rows if r.measured}
    out = []
    for r in b.rows:
        other = rows_a.get(key(r))
        if other is None or not r.measured or not other.measured:
            continue
        p = welch_p(samples_tps(other), samples_tps(r))
        out.append(
            Delta(
                test=r.test,
                config=(
                    f"t={r.cfg.n_threads} ub={r.cfg.n_ubatch} "
                    f"ngl={r.cfg.n_gpu_layers} fa={int(r.cfg.flash_attn)}"
                ),
                a_tps=other.measured,
                b_tps=r.measured,
                speedup=r.measured / other.measured,
                p_value=p,
                significant=p is not None and p < alpha,
            )
        )
    return out


def regressions(deltas: list[Delta], max_regression: float) -> list[Delta]:
    """Points significantly slower than the baseline by more than ``max_regression``."""
    return [d for d in deltas if d.significant and d.speedup < 1 - max_regression]


# `report compare --format json` schema history:
#   1 — a list of deltas (rigbench 0.1).
#   2 — an object: schema_version and the list under "deltas".
SCHEMA_VERSION = 2


def to_json_dict(deltas: list[Delta]) -> dict[str, object]:
    return {"schema_version": SCHEMA_VERSION, "deltas": to_dicts(deltas)}


def to_dicts(deltas: list[Delta]) -> list[dict[str, object]]:
    return [asdict(d) for d in deltas]

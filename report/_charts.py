"""Charts as inline SVG: no JavaScript library, no network, the page opens anywhere.

A chart is measured points with error bars (± stddev) over the predicted curve, on linear or
log2 x axes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

W, H = 560, 300
PAD_L, PAD_R, PAD_T, PAD_B = 64, 16, 34, 46
COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2"]


@dataclass
class Series:
    name: str
    measured: list[tuple[float, float, float]] = field(default_factory=list)  # x, y, stddev
    predicted: list[tuple[float, float]] = field(default_factory=list)  # x, y


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    step = 10 ** math.floor(math.log10((hi - lo) / n))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= n:
            step *= m
            break
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)]


def _fmt(v: float) -> str:
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def svg(title: str, xlabel: str, ylabel: str, series: list[Series], log_x: bool = False) -> str:
    xs = [x for s in series for x, *_ in s.measured] + [x for s in series for x, _ in s.predicted]
    ys = [y + sd for s in series for _, y, sd in s.measured] + [
        y for s in series for _, y in s.predicted
    ]
    if not xs:
        return ""
    fx = (lambda v: math.log2(max(v, 1))) if log_x else (lambda v: v)
    x0, x1 = min(map(fx, xs)), max(map(fx, xs))
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    y1 = max(ys) * 1.1 if ys else 1.0
    y0 = 0.0

    def px(v: float) -> float:
        return PAD_L + (fx(v) - x0) / (x1 - x0) * (W - PAD_L - PAD_R)

    def py(v: float) -> float:
        return H - PAD_B - (v - y0) / (y1 - y0) * (H - PAD_T - PAD_B)

    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" '
        f'width="{W}" height="{H}" role="img" aria-label="{escape(title)}">',
        f'<text x="{W / 2}" y="18" text-anchor="middle" class="t">{escape(title)}</text>',
    ]
    for t in _ticks(y0, y1):
        out.append(
            f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{py(t):.1f}" y2="{py(t):.1f}" class="grid"/>'
        )
        out.append(f'<text x="{PAD_L - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    xticks = sorted(set(xs))
    if len(xticks) > 8:
        xticks = [2**v for v in _ticks(x0, x1)] if log_x else _ticks(min(xs), max(xs))
    for t in xticks:
        out.append(
            f'<text x="{px(t):.1f}" y="{H - PAD_B + 16}" text-anchor="middle">{_fmt(t)}</text>'
        )
    out.append(f'<text x="{W / 2}" y="{H - 8}" text-anchor="middle">{escape(xlabel)}</text>')
    out.append(
        f'<text x="14" y="{H / 2}" text-anchor="middle" transform="rotate(-90 14 '
        f'{H / 2})">{escape(ylabel)}</text>'
    )
    out.append(f'<line x1="{PAD_L}" x2="{PAD_L}" y1="{PAD_T}" y2="{H - PAD_B}" class="axis"/>')
    out.append(
        f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{H - PAD_B}" y2="{H - PAD_B}" class="axis"/>'
    )
    for i, s in enumerate(series):
        color = COLORS[i % len(COLORS)]
        pts = sorted(s.predicted)
        if len(pts) > 1:
            d = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
            out.append(
                f'<polyline points="{d}" fill="none" stroke="{color}" '
                'stroke-dasharray="5 4" stroke-width="2" class="predicted"/>'
            )
        elif pts:
            x, y = pts[0]
            out.append(
                f'<line x1="{px(x) - 8:.1f}" x2="{px(x) + 8:.1f}" y1="{py(y):.1f}" '
                f'y2="{py(y):.1f}" stroke="{color}" stroke-width="2" class="predicted"/>'
            )
        for x, y, sd in s.measured:
            cx, cy = px(x), py(y)
            if sd:
                out.append(
                    f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{py(y - sd):.1f}" '
                    f'y2="{py(y + sd):.1f}" stroke="{color}" class="err"/>'
                )
            out.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{color}" '
                f'class="measured"><title>{escape(s.name)}: {y:.1f} ± {sd:.1f}</title>'
                "</circle>"
            )
        ly = PAD_T + 14 * i
        out.append(
            f'<circle cx="{W - PAD_R - 150}" cy="{ly}" r="4" fill="{color}"/>'
            f'<text x="{W - PAD_R - 140}" y="{ly + 4}">{escape(s.name)}</text>'
        )
    out.append("</svg>")
    return "".join(out)

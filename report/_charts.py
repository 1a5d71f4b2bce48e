"""Charts as inline SVG: no JavaScript library, no network, the page opens anywhere.

Three kinds: a sweep chart (measured points with ± stddev bars over each series' predicted
line and its 80 % band, on a linear, log2 or categorical x axis), the parity plot (predicted
against measured, log-log, with y = x and ±10 % / ±20 % bands) and the error histogram.
Every series and point carries data attributes (``data-axis``, ``data-series``,
``data-config``) so a test, or a reader's script, can check what a line holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

W, H = 560, 300
PAD_L, PAD_R, PAD_T, PAD_B = 64, 16, 34, 46
COLORS = ["#2563eb", "#dc2626", "#059669", "#d97706", "#7c3aed", "#0891b2", "#be185d", "#4d7c0f"]


@dataclass(frozen=True, slots=True)
class Point:
    x: float
    y: float
    sd: float = 0.0
    config: str = "{}"  # the point's axis values, JSON
    title: str = ""  # hover text


@dataclass
class Series:
    name: str
    points: list[Point] = field(default_factory=list)
    # x, predicted y, and the 80 % interval (lo, hi) when the prediction has one
    predicted: list[tuple[float, float, float | None, float | None]] = field(default_factory=list)
    config: str = "{}"  # what the series holds fixed, JSON


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
    if abs(v) >= 1e6:
        return f"{v / 1e6:g}M"
    if abs(v) >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:.3g}"


def _frame(anchor: str, title: str, attrs: str = "") -> list[str]:
    return [
        f'<svg class="chart" id="{escape(anchor)}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" '
        f'aria-label="{escape(title)}"{attrs}>',
        f'<text x="{W / 2}" y="18" text-anchor="middle" class="t">{escape(title)}</text>',
    ]


def _labels(out: list[str], xlabel: str, ylabel: str) -> None:
    out.append(f'<text x="{W / 2}" y="{H - 8}" text-anchor="middle">{escape(xlabel)}</text>')
    out.append(
        f'<text x="14" y="{H / 2}" text-anchor="middle" transform="rotate(-90 14 '
        f'{H / 2})">{escape(ylabel)}</text>'
    )
    out.append(f'<line x1="{PAD_L}" x2="{PAD_L}" y1="{PAD_T}" y2="{H - PAD_B}" class="axis"/>')
    out.append(
        f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{H - PAD_B}" y2="{H - PAD_B}" class="axis"/>'
    )


def sweep_chart(
    anchor: str,
    title: str,
    xlabel: str,
    ylabel: str,
    axis: str,
    series: list[Series],
    scale: str = "linear",  # linear | log2 | cat
    categories: list[str] | None = None,
    limit_x: float | None = None,  # a vertical marker: the context limit
) -> str:
    """Measured points (± stddev) over each series' predicted line and its interval band."""
    xs = [p.x for s in series for p in s.points] + [x for s in series for x, *_ in s.predicted]
    ys = [p.y + p.sd for s in series for p in s.points] + [
        max(y, hi or 0) for s in series for _, y, _, hi in s.predicted
    ]
    if not xs:
        return ""
    if limit_x is not None:
        xs.append(limit_x)
    fx = (lambda v: math.log2(max(v, 1))) if scale == "log2" else (lambda v: v)
    x0, x1 = min(map(fx, xs)), max(map(fx, xs))
    if x1 == x0:
        x0, x1 = x0 - 1, x1 + 1
    if scale == "cat":
        x0, x1 = -0.5, len(categories or []) - 0.5
    y1 = max(ys) * 1.1 if ys and max(ys) > 0 else 1.0
    y0 = 0.0

    def px(v: float) -> float:
        return PAD_L + (fx(v) - x0) / (x1 - x0) * (W - PAD_L - PAD_R)

    def py(v: float) -> float:
        return H - PAD_B - (v - y0) / (y1 - y0) * (H - PAD_T - PAD_B)

    out = _frame(anchor, title, f' data-axis="{escape(axis)}"')
    for t in _ticks(y0, y1):
        out.append(
            f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{py(t):.1f}" y2="{py(t):.1f}" class="grid"/>'
        )
        out.append(f'<text x="{PAD_L - 6}" y="{py(t) + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    if scale == "cat":
        xticks = [(float(i), c) for i, c in enumerate(categories or [])]
    else:
        raw = sorted(set(xs))
        if len(raw) > 8:
            raw = [2**v for v in _ticks(x0, x1)] if scale == "log2" else _ticks(min(xs), max(xs))
        xticks = [(t, _fmt(t)) for t in raw]
    for t, label in xticks:
        ty = H - PAD_B + 16
        out.append(f'<text x="{px(t):.1f}" y="{ty}" text-anchor="middle">{escape(label)}</text>')
    _labels(out, xlabel, ylabel)
    if limit_x is not None:
        lx = px(limit_x)
        out.append(
            f'<line x1="{lx:.1f}" x2="{lx:.1f}" y1="{PAD_T}" y2="{H - PAD_B}" class="limit"/>'
            f'<text x="{lx - 4:.1f}" y="{PAD_T + 10}" text-anchor="end">context limit</text>'
        )
    for i, s in enumerate(series):
        color = COLORS[i % len(COLORS)]
        out.append(
            f'<g class="series" data-axis="{escape(axis)}" data-series="{escape(s.name)}" '
            f'data-config="{escape(s.config)}">'
        )
        pts = sorted(s.predicted)
        band = [(x, lo, hi) for x, _, lo, hi in pts if lo is not None and hi is not None]
        if len(band) > 1:
            upper = " ".join(f"{px(x):.1f},{py(hi):.1f}" for x, _, hi in band)
            lower = " ".join(f"{px(x):.1f},{py(lo):.1f}" for x, lo, _ in reversed(band))
            out.append(f'<polygon points="{upper} {lower}" fill="{color}" class="band"/>')
        elif band:
            x, lo, hi = band[0]
            out.append(
                f'<line x1="{px(x) + 6:.1f}" x2="{px(x) + 6:.1f}" y1="{py(lo):.1f}" '
                f'y2="{py(hi):.1f}" stroke="{color}" class="band-bar"/>'
            )
        if len(pts) > 1:
            d = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y, *_ in pts)
            out.append(
                f'<polyline points="{d}" fill="none" stroke="{color}" '
                'stroke-dasharray="5 4" stroke-width="2" class="predicted"/>'
            )
        elif pts:
            x, y = pts[0][0], pts[0][1]
            out.append(
                f'<line x1="{px(x) - 8:.1f}" x2="{px(x) + 8:.1f}" y1="{py(y):.1f}" '
                f'y2="{py(y):.1f}" stroke="{color}" stroke-width="2" class="predicted"/>'
            )
        for p in s.points:
            cx, cy = px(p.x), py(p.y)
            if p.sd:
                out.append(
                    f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{py(p.y - p.sd):.1f}" '
                    f'y2="{py(p.y + p.sd):.1f}" stroke="{color}" class="err"/>'
                )
            out.append(
                f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{color}" class="measured" '
                f'data-config="{escape(p.config)}"><title>{escape(p.title)}</title></circle>'
            )
        ly = PAD_T + 14 * i
        out.append(
            f'<circle cx="{W - PAD_R - 150}" cy="{ly}" r="4" fill="{color}"/>'
            f'<text x="{W - PAD_R - 140}" y="{ly + 4}">{escape(s.name[:28])}</text></g>'
        )
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Parity:
    """One point of the parity plot."""

    measured: float
    predicted: float
    kind: str  # pp | tg
    calibrated: bool
    title: str
    interval: tuple[float, float] | None = None


def parity(anchor: str, points: list[Parity]) -> str:
    """Predicted against measured on log-log axes, y = x with ±10 % and ±20 % bands; pp are
    circles and tg squares; calibrated predictions are filled, uncalibrated hollow."""
    vals = [v for p in points for v in (p.measured, p.predicted) if v > 0]
    if not vals:
        return ""
    lo, hi = math.log10(min(vals) / 1.3), math.log10(max(vals) * 1.3)
    size = H - PAD_T - PAD_B

    def pos(v: float) -> float:
        return (math.log10(max(v, 1e-9)) - lo) / (hi - lo) * size

    def px(v: float) -> float:
        return PAD_L + pos(v)

    def py(v: float) -> float:
        return H - PAD_B - pos(v)

    out = _frame(anchor, "parity: predicted vs measured tokens/s (log-log)")
    a, b = 10**lo, 10**hi
    for f, cls in ((1.2, "band20"), (1.1, "band10")):
        poly = [(a, a * f), (b, b * f), (b, b / f), (a, a / f)]
        pts = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in poly)
        out.append(f'<polygon points="{pts}" class="{cls}"/>')
    out.append(
        f'<line x1="{px(a):.1f}" y1="{py(a):.1f}" x2="{px(b):.1f}" y2="{py(b):.1f}" class="diag"/>'
    )
    for e in range(math.ceil(lo), math.floor(hi) + 1):
        v = 10.0**e
        out.append(
            f'<text x="{px(v):.1f}" y="{H - PAD_B + 16}" text-anchor="middle">{_fmt(v)}</text>'
        )
        out.append(f'<text x="{PAD_L - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    _labels(out, "measured tokens/s", "predicted tokens/s")
    for p in points:
        color = COLORS[0] if p.kind == "pp" else COLORS[1]
        fill = color if p.calibrated else "none"
        x, y = px(p.measured), py(p.predicted)
        attrs = (
            f'fill="{fill}" stroke="{color}" class="pt {p.kind}'
            f'{" cal" if p.calibrated else " uncal"}" data-kind="{p.kind}"'
        )
        if p.interval:
            out.append(
                f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{py(p.interval[0]):.1f}" '
                f'y2="{py(p.interval[1]):.1f}" stroke="{color}" class="ibar"/>'
            )
        tip = f"<title>{escape(p.title)}</title>"
        if p.kind == "pp":
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" {attrs}>{tip}</circle>')
        else:
            out.append(
                f'<rect x="{x - 3:.1f}" y="{y - 3:.1f}" width="6" height="6" {attrs}>{tip}</rect>'
            )
    legend = (
        ("pp (circle)", COLORS[0], COLORS[0]),
        ("tg (square)", COLORS[1], COLORS[1]),
        ("hollow: uncalibrated", "#555", "none"),
        ("shaded: ±10 % / ±20 %", "#555", "#ddd"),
    )
    for i, (label, stroke, fill) in enumerate(legend):
        ly = PAD_T + 14 * i
        out.append(
            f'<circle cx="{W - 170}" cy="{ly}" r="4" fill="{fill}" stroke="{stroke}"/>'
            f'<text x="{W - 160}" y="{ly + 4}">{escape(label)}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def histogram(anchor: str, errors: dict[str, list[float]], step: float = 0.05) -> str:
    """Stacked counts of (predicted - measured) / measured per kind, in ``step`` bins, the
    outermost bins holding everything beyond ±50 %."""
    edge = 0.5
    nbins = round(2 * edge / step)
    if not any(errors.values()):
        return ""
    counts = {k: [0] * nbins for k in errors}
    for k, errs in errors.items():
        for e in errs:
            i = min(nbins - 1, max(0, math.floor((e + edge) / step)))
            counts[k][i] += 1
    top = max(sum(c[i] for c in counts.values()) for i in range(nbins)) or 1
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    bw = plot_w / nbins
    out = _frame(anchor, "prediction error: (predicted - measured) / measured")
    for t in _ticks(0, top * 1.1):
        y = H - PAD_B - t / (top * 1.1) * plot_h
        out.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">{t:g}</text>')
    for i in range(0, nbins + 1, 2):
        x = PAD_L + i * bw
        label = f"{(i * step - edge) * 100:+.0f}%"
        out.append(f'<text x="{x:.1f}" y="{H - PAD_B + 16}" text-anchor="middle">{label}</text>')
    _labels(out, "error (outer bins: beyond ±50 %)", "points")
    for i in range(nbins):
        base = 0
        for j, (k, c) in enumerate(counts.items()):
            if not c[i]:
                continue
            h = c[i] / (top * 1.1) * plot_h
            y = H - PAD_B - (base + c[i]) / (top * 1.1) * plot_h
            lo = i * step - edge
            out.append(
                f'<rect x="{PAD_L + i * bw + 1:.1f}" y="{y:.1f}" width="{bw - 2:.1f}" '
                f'height="{h:.1f}" fill="{COLORS[j % 2]}" class="bin" data-kind="{k}">'
                f"<title>{k}: {c[i]} points from {lo:+.0%} to {lo + step:+.0%}</title></rect>"
            )
            base += c[i]
    for j, k in enumerate(counts):
        ly = PAD_T + 14 * j
        out.append(
            f'<rect x="{W - 120}" y="{ly - 4}" width="8" height="8" fill="{COLORS[j % 2]}"/>'
            f'<text x="{W - 108}" y="{ly + 4}">{escape(k)}</text>'
        )
    out.append("</svg>")
    return "".join(out)

"""The best configuration for an explicit objective, and the Pareto set (pp vs tg vs memory).

A configuration is what a ``llama-server`` would run: the model (quant) and every RunConfig
field but the test's own (prompt, generated tokens, depth). Its pp and tg are its measurements
at the shallowest depth it was measured at, so a long-context point never hides a fast one.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from bench.records import RunConfig
from report._data import Part, Report, Row

# --objective: what "best" means. tg and pp are tokens/s (higher is better); ttft is seconds
# to the first token, the prompt length over the prefill speed (lower is better); balanced is
# the geometric mean of pp and tg, each divided by the sweep's best.
OBJECTIVES = {
    "tg": "generation tokens/s",
    "pp": "prompt-processing tokens/s",
    "ttft": "time to first token: the longest prompt measured / its prompt-processing speed",
    "balanced": "geometric mean of pp and tg, each normalised to the best measured",
}
DEFAULT_OBJECTIVE = "tg"

# Every RunConfig field but the test's own: what names a configuration.
_KEY_FIELDS = tuple(
    f.name for f in dataclasses.fields(RunConfig) if f.name not in ("n_prompt", "n_gen", "n_depth")
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One configuration and what was measured for it."""

    part: Part
    cfg_row: Row  # a measured row of it: its config, less the test's fields
    depth: int  # the depth pp and tg were taken at
    pp_by_prompt: dict[int, float]  # prompt tokens -> measured pp tokens/s
    tg_tokens_per_s: float | None
    prompt_tokens: int | None  # the prompt length TTFT is for: the report's longest
    peak_bytes: int | None  # the largest peak (RSS + GPUs) over its ok points
    ctx: int  # the largest context it ran (depth + prompt + generated)

    @property
    def pp_tokens_per_s(self) -> float | None:
        return max(self.pp_by_prompt.values(), default=None)

    @property
    def ttft_s(self) -> float | None:
        """Seconds to prefill the prompt: the first token comes from the prefill's logits."""
        pp = self.pp_by_prompt.get(self.prompt_tokens or 0)
        return self.prompt_tokens / pp if pp and self.prompt_tokens else None


def candidates(rep: Report) -> list[Candidate]:
    """Every configuration with at least one measured point, in the order first seen."""
    groups: dict[tuple[object, ...], tuple[Part, list[Row]]] = {}
    for p in rep.parts:
        for r in p.rows:
            if r.status != "ok" or not r.measured:
                continue
            key = (p.sweep_id, *(getattr(r.cfg, f) for f in _KEY_FIELDS))
            groups.setdefault(key, (p, []))[1].append(r)
    # TTFT is for the longest prompt the sweep measured: a long prompt is where it hurts, and
    # large ubatches that lose on short prompts win there.
    prompt = max((r.cfg.n_prompt for r in rep.rows if r.kind == "pp" and r.measured), default=None)
    out = []
    for part, rows in groups.values():
        depth = min(r.cfg.n_depth for r in rows)
        shallow = [r for r in rows if r.cfg.n_depth == depth]
        pp: dict[int, float] = {}
        for r in shallow:
            if r.kind == "pp" and r.measured:
                pp[r.cfg.n_prompt] = max(pp.get(r.cfg.n_prompt, 0.0), r.measured)
        tg = [r.measured or 0.0 for r in shallow if r.kind == "tg"]
        peaks = [(r.peak_rss_bytes or 0) + (r.peak_gpu_total_bytes or 0) for r in rows]
        out.append(
            Candidate(
                part=part,
                cfg_row=rows[0],
                depth=depth,
                pp_by_prompt=pp,
                tg_tokens_per_s=max(tg) if tg else None,
                prompt_tokens=prompt,
                peak_bytes=max(peaks) if any(peaks) else None,
                ctx=max(r.ctx for r in rows),
            )
        )
    return out


def score(c: Candidate, objective: str, pool: list[Candidate]) -> float | None:
    """Higher is better; None where the configuration lacks what the objective needs."""
    if objective == "tg":
        return c.tg_tokens_per_s
    if objective == "pp":
        return c.pp_tokens_per_s
    if objective == "ttft":
        return -c.ttft_s if c.ttft_s is not None else None
    if objective == "balanced":
        best_pp = max((x.pp_tokens_per_s or 0 for x in pool), default=0)
        best_tg = max((x.tg_tokens_per_s or 0 for x in pool), default=0)
        if not (c.pp_tokens_per_s and c.tg_tokens_per_s and best_pp and best_tg):
            return None
        return math.sqrt(c.pp_tokens_per_s / best_pp * c.tg_tokens_per_s / best_tg)
    raise ValueError(f"unknown objective {objective!r}")


def best(rep: Report, objective: str = DEFAULT_OBJECTIVE) -> Candidate | None:
    """The configuration that does best on ``objective``; None when none was measured for it.
    Ties go to the configuration measured first."""
    pool = candidates(rep)
    scored = [
        (s, -i, c) for i, c in enumerate(pool) if (s := score(c, objective, pool)) is not None
    ]
    return max(scored, key=lambda t: (t[0], t[1]))[2] if scored else None


def pareto(rep: Report) -> list[Candidate]:
    """The configurations no other beats on pp, tg and memory at once (more pp, more tg, less
    memory; a missing figure counts as the worst)."""
    pool = candidates(rep)

    def vec(c: Candidate) -> tuple[float, float, float]:
        mem = -c.peak_bytes if c.peak_bytes else -math.inf
        return (c.pp_tokens_per_s or 0.0, c.tg_tokens_per_s or 0.0, mem)

    # In descending order a configuration can only be beaten by one before it, and only the
    # front so far needs checking: O(n x front), not O(n^2), for 10,000-point sweeps.
    order = sorted(range(len(pool)), key=lambda i: vec(pool[i]), reverse=True)
    front: list[tuple[tuple[float, float, float], Candidate]] = []
    for i in order:
        v = vec(pool[i])
        if not any(all(a >= b for a, b in zip(w, v, strict=True)) for w, _ in front):
            front.append((v, pool[i]))
    out = [c for _, c in front]
    return sorted(out, key=lambda c: -(c.tg_tokens_per_s or 0))


def server_command(c: Candidate) -> str:
    """The ready-to-run llama-server line for a configuration."""
    r, model = c.cfg_row, c.part.model
    cfg = r.cfg
    where = (
        f"-hf {model['repo']}:{model['quant']}"
        if model.get("repo") and model.get("quant")
        else f"-m {model.get('path') or model.get('file')}"
    )
    ctx = max(4096, c.ctx)
    ngl = 99 if cfg.n_gpu_layers < 0 else cfg.n_gpu_layers
    extra = f" --n-cpu-moe {cfg.n_cpu_moe}" if cfg.n_cpu_moe else ""
    extra += " --no-op-offload" if cfg.no_op_offload else ""
    return (
        f"llama-server {where} -ngl {ngl}{extra} -c {ctx} -t {cfg.n_threads} "
        f"-ub {cfg.n_ubatch} -b {cfg.n_batch} -fa {'on' if cfg.flash_attn else 'off'} "
        f"-ctk {cfg.type_k} -ctv {cfg.type_v}"
    )


def describe(c: Candidate) -> str:
    """``tg 50.0 t/s, pp 451.2 t/s, TTFT 1.13 s (512 tokens), peak 296 MiB at depth 0``."""
    from probe import human_bytes

    bits = []
    if c.tg_tokens_per_s:
        bits.append(f"tg {c.tg_tokens_per_s:,.1f} t/s")
    if c.pp_tokens_per_s:
        bits.append(f"pp {c.pp_tokens_per_s:,.1f} t/s")
    if c.ttft_s is not None:
        bits.append(f"TTFT {c.ttft_s:.2f} s ({c.prompt_tokens} tokens)")
    if c.peak_bytes:
        bits.append(f"peak {human_bytes(c.peak_bytes)}")
    return ", ".join(bits) + f" at depth {c.depth}"


def to_dict(c: Candidate) -> dict[str, object]:
    return {
        "sweep_id": c.part.sweep_id,
        "depth": c.depth,
        "pp_tokens_per_s": c.pp_tokens_per_s,
        "tg_tokens_per_s": c.tg_tokens_per_s,
        "ttft_s": c.ttft_s,
        "prompt_tokens": c.prompt_tokens,
        "peak_bytes": c.peak_bytes,
        "server_command": server_command(c),
    }

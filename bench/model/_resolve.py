"""The one place a ``--model`` string becomes models: ``resolve_model(text)``.

Five syntaxes: a ``.gguf`` path (any shard of a split model), ``ORG/REPO``, ``ORG/REPO:QUANT``,
``synth:ARCH:PARAMS:QUANT`` and ``shape:NAME[:QUANT]``. Resolving never writes a model file:
local and remote files are read header-only, synthetic and published shapes are computed.
Only measuring writes one (``materialize``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.model import _hub
from bench.model._configs import (
    MAX_CONFIG_BYTES,
    hparams_from_config,
    parse_config,
    read_config,
)
from bench.model._gguf import read_local
from bench.model._hub import SHARD_RE, parse_shard
from bench.model._shapes import SHAPES, spec_from_hparams, spec_from_shape, spec_from_synth
from bench.model._spec import FileFact, ModelSpec, model_spec
from bench.model._synthetic import ARCHES, SynthSpec, make_spec, synthesize
from bench.model._twins import TWIN_ARCHES, TWIN_QUANTS, TwinSpec, make_twin, small_twin
from probe.errors import UserError

KINDS = ("file", "hub", "synth", "shape", "config")
_REPO_RE = re.compile(r"([\w.-]+/[\w.-]+)(?::([\w.-]+))?")
SYNTAX_HINT = (
    "give a .gguf path, ORG/REPO, ORG/REPO:QUANT, synth:ARCH:PARAMS:QUANT "
    "(e.g. synth:llama:250M:Q4_K_M), shape:NAME:QUANT (e.g. shape:gpt-oss-20b:MXFP4) or "
    "config:ORG/REPO:QUANT (a transformers config.json)"
)


@dataclass(frozen=True, slots=True)
class ModelSource:
    """One model to plan, predict or measure: where it comes from and its ModelSpec."""

    kind: str  # file | hub | synth | shape | config
    text: str  # what the user typed
    label: str  # how reports name it: file name, ORG/REPO:QUANT, synth:…, shape:…, config:…
    spec: ModelSpec
    quant: str | None = None
    path: Path | None = None  # file: the first shard
    repo: str | None = None
    revision: str | None = None
    files: tuple[FileFact, ...] = ()
    synth: SynthSpec | None = None  # synth: what materialize() writes
    twin: TwinSpec | None = None  # a twin of a real architecture materialize() can write

    @property
    def size_bytes(self) -> int:
        return sum(f.size_bytes or 0 for f in self.files) or self.spec.weight_bytes


def local_shards(path: Path) -> list[Path]:
    """All shards of a split GGUF given any one of them (or just ``path``)."""
    shard = parse_shard(path.name)
    if shard is None:
        return [path]
    count = shard[1]
    stem = path.name[: SHARD_RE.search(path.name).start()]  # type: ignore[union-attr]
    shards = [path.with_name(f"{stem}-{i:05d}-of-{count:05d}.gguf") for i in range(1, count + 1)]
    missing = [s.name for s in shards if not s.exists()]
    if missing:
        listed = ", ".join(missing[:3]) + (
            f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        )
        raise UserError(
            f"split model is missing {listed}",
            hint="download every -0000K-of-0000N shard into one folder",
        )
    return shards


def load_local(path: Path, quant: str | None = None) -> ModelSpec:
    """The ModelSpec of a local GGUF (all its shards), read header-only."""
    shards = local_shards(path)
    headers = [read_local(s) for s in shards]
    files = [FileFact(s.name, s.stat().st_size) for s in shards]
    spec = model_spec(headers, files, str(path))
    return dataclasses.replace(spec, quant=quant or _hub.quant_of(shards[0].name) or spec.file_type)


def _synth(text: str) -> ModelSource:
    parts = text.split(":")
    if len(parts) != 4 or not all(parts[1:]):
        raise UserError(
            f"cannot read synthetic spec {text!r}",
            hint="write it as synth:ARCH:PARAMS:QUANT, e.g. synth:llama:250M:Q4_K_M",
        )
    arch, params, quant = parts[1], parts[2], parts[3].upper()
    if arch in TWIN_ARCHES and arch not in ARCHES:
        twin = small_twin(arch, params, quant)
        spec = spec_from_hparams(twin.hparams, quant)
        return ModelSource("synth", text, text, spec, quant=quant, twin=twin)
    s = make_spec(arch, params, quant, 0, {})
    return ModelSource("synth", text, text, spec_from_synth(s), quant=s.quant, synth=s)


def _shape(text: str, quant: str | None) -> ModelSource:
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[1]:
        raise UserError(f"cannot read shape spec {text!r}", hint="write it as shape:NAME:QUANT")
    q = (quant or (parts[2] if len(parts) == 3 and parts[2] else "Q4_K_M")).upper()
    spec = spec_from_shape(parts[1], q)
    h = SHAPES[parts[1]]
    twin = TwinSpec(h, q) if h.arch in TWIN_ARCHES and q in TWIN_QUANTS else None
    return ModelSource("shape", text, f"shape:{parts[1]}:{q}", spec, quant=q, twin=twin)


def _config(text: str, quant: str | None) -> ModelSource:
    """``config:PATH/config.json[:QUANT]`` or ``config:ORG/REPO[:QUANT]``: a model nobody has
    converted yet, from its transformers config (a repo's is read over HTTP, at most 4 MiB)."""
    where, _, q = text.removeprefix("config:").rpartition(":")
    if not where or "/" in q or "." in q:  # no quant given: the colon was not one
        where, q = text.removeprefix("config:"), ""
    q = (quant or q or "Q4_K_M").upper()
    if where.endswith(".json") or Path(where).expanduser().is_file():
        config, name = read_config(Path(where).expanduser()), Path(where).parent.name
    elif _REPO_RE.fullmatch(where) and ":" not in where:
        reader = _hub.RangeReader(where, "config.json", "main")
        config = parse_config(reader.fetch(0, MAX_CONFIG_BYTES + 1), f"{where}/config.json")
        name = where.split("/")[1]
    else:
        raise UserError(f"cannot read config spec {text!r}", hint=SYNTAX_HINT)
    h = hparams_from_config(config, name, where)
    label = f"config:{where}:{q}"
    return ModelSource("config", text, label, spec_from_hparams(h, q), quant=q)


def _hub_sources(
    text: str, repo: str, quants: list[str], on_read: Callable[[int], None] | None
) -> list[ModelSource]:
    ladder = _hub.list_ladder(repo)
    wanted = [ladder.get(q) for q in quants] if quants else list(ladder.quants)
    out = []
    sibling = None
    for q in wanted:
        headers = [
            _hub.read_remote_header(
                ladder.repo, ladder.revision, f, sibling if i == 0 else None, on_read=on_read
            )
            for i, f in enumerate(q.files)
        ]
        sibling = sibling or headers[0]
        label = f"{ladder.repo}:{q.name}"
        spec = model_spec(
            headers,
            list(q.files),
            label,
            repo=ladder.repo,
            revision=ladder.revision,
            quant=q.name,
        )
        out.append(
            ModelSource(
                "hub",
                text,
                label,
                spec,
                quant=q.name,
                repo=ladder.repo,
                revision=ladder.revision,
                files=q.files,
            )
        )
    return out


def repo_ref(text: str) -> tuple[str, str | None] | None:
    """``ORG/REPO[:QUANT]`` -> (repo, quant) without any network; None for the other syntaxes."""
    if text.startswith(("synth:", "shape:", "config:")) or text.lower().endswith(".gguf"):
        return None
    if Path(text).expanduser().is_file():
        return None
    m = _REPO_RE.fullmatch(text)
    return (m.group(1), m.group(2)) if m else None


def resolve_model(
    text: str,
    quants: list[str] | None = None,
    on_read: Callable[[int], None] | None = None,
) -> list[ModelSource]:
    """Turn a ``--model`` string into the models it names.

    Args:
        text: A ``.gguf`` path, ``ORG/REPO``, ``ORG/REPO:QUANT``, ``synth:ARCH:PARAMS:QUANT`` or
            ``shape:NAME[:QUANT]``.
        quants: Only these quants of a repo (``ORG/REPO:QUANT`` names one itself); for a
            ``shape:`` the first one replaces its quant.
        on_read: Called with the bytes read over HTTP for each remote header.

    Returns:
        One ModelSource per model: every quant of a repo (cheapest header reads first), or the
        one file, synthetic or published shape.

    Raises:
        UserError: the text names nothing readable (with the syntax in its hint), a file is
            missing, or the hub cannot be reached.
    """
    quants = [q for q in (quants or []) if q]
    if text.startswith("synth:"):
        return [_synth(text)]
    if text.startswith("shape:"):
        return [_shape(text, quants[0] if quants else None)]
    if text.startswith("config:"):
        return [_config(text, quants[0] if quants else None)]
    ref = repo_ref(text)
    if ref is not None:
        return _hub_sources(text, ref[0], [ref[1]] if ref[1] else quants, on_read)
    p = Path(text).expanduser()
    if not text.lower().endswith(".gguf") and not p.is_file():
        raise UserError(f"cannot read model {text!r}", hint=SYNTAX_HINT)
    if not p.is_file():
        raise UserError(f"{text}: no such file", hint="check the path to the .gguf file")
    spec = load_local(p)  # its files: every shard, with its size
    return [ModelSource("file", text, p.name, spec, quant=spec.quant, path=p, files=spec.files)]


def materialize(source: ModelSource) -> Path:
    """A local file to measure ``source`` with: the file itself, or the synthetic twin written
    (and cached) now. Hub models are downloaded by ``download`` instead."""
    if source.kind == "file" and source.path is not None:
        return source.path
    if source.kind == "synth" and source.synth is not None:
        return synthesize(source.synth).path
    if source.twin is not None:
        return make_twin(source.twin).path
    raise UserError(
        f"{source.label} is computed from a shape: it can be planned and predicted, not measured",
        hint="measure a twin of it instead: bench sweep --model shape:NAME:QUANT",
    )

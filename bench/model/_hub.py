"""Hugging Face repositories: the quant ladder of a GGUF repo, and GGUF headers read remotely
with HTTP Range requests (a few MB per file, never the tensor data).

Everything goes through huggingface_hub, so ``HF_ENDPOINT`` (read at call time), ``HF_TOKEN``
and the standard cache behave as they do for every other tool.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.model._gguf import GGUFHeader, SkipMismatch, read_header
from bench.model._spec import FileFact
from probe.errors import UserError

# Quant names as they appear in GGUF file names (llama.cpp's quantize presets, unsloth's UD-*).
_QUANT_RE = re.compile(
    r"(?<![A-Za-z0-9])((?:UD-)?(?:IQ[1-4]_(?:XXS|XS|S|M|NL)|Q[2-8]_K(?:_XL|_[SML])?|Q[4-8]_[01]"
    r"|TQ[12]_0|MXFP4(?:_MOE)?|BF16|F16|F32))(?=[-_.]|$)",
    re.IGNORECASE,
)
SHARD_RE = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$")
# Lowest to highest bits per weight: the order users read a ladder in.
LADDER = [
    "IQ1_S",
    "IQ1_M",
    "IQ2_XXS",
    "IQ2_XS",
    "IQ2_S",
    "IQ2_M",
    "Q2_K",
    "Q2_K_L",
    "Q2_K_XL",
    "IQ3_XXS",
    "IQ3_XS",
    "IQ3_S",
    "IQ3_M",
    "Q3_K_S",
    "Q3_K_M",
    "Q3_K_L",
    "Q3_K_XL",
    "IQ4_XS",
    "IQ4_NL",
    "Q4_0",
    "Q4_1",
    "MXFP4",
    "MXFP4_MOE",
    "Q4_K_S",
    "Q4_K_M",
    "Q4_K_L",
    "Q4_K_XL",
    "Q5_0",
    "Q5_1",
    "Q5_K_S",
    "Q5_K_M",
    "Q5_K_L",
    "Q5_K_XL",
    "Q6_K",
    "Q6_K_L",
    "Q6_K_XL",
    "Q8_0",
    "Q8_K_XL",
    "BF16",
    "F16",
    "F32",
]
SKIP_PREFIXES = ("mmproj", "imatrix")  # vision projectors and importance matrices


@dataclass(frozen=True, slots=True)
class Quant:
    name: str
    files: tuple[FileFact, ...]  # shards in order

    @property
    def size_bytes(self) -> int:
        return sum(f.size_bytes or 0 for f in self.files)


@dataclass(frozen=True, slots=True)
class RepoLadder:
    repo: str
    revision: str
    quants: tuple[Quant, ...]

    def get(self, name: str) -> Quant:
        for q in self.quants:
            if q.name.upper() == name.upper():
                return q
        have = ", ".join(q.name for q in self.quants)
        raise UserError(f"{self.repo} has no {name} quant", hint=f"available: {have}")


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def token() -> str | None:
    return os.environ.get("HF_TOKEN") or None


def quant_of(filename: str) -> str | None:
    """``Q8_0/gpt-oss-20b-Q8_0-00001-of-00002.gguf`` -> ``Q8_0``; None if no quant is named."""
    base = filename.rsplit("/", 1)[-1]
    if not base.lower().endswith(".gguf") or base.lower().startswith(SKIP_PREFIXES):
        return None
    matches = _QUANT_RE.findall(SHARD_RE.sub(".gguf", base))
    return matches[-1].upper() if matches else None


def _rank(name: str) -> tuple[int, str]:
    plain = name.removeprefix("UD-")
    return (LADDER.index(plain) if plain in LADDER else len(LADDER), name)


def ladder_from_files(repo: str, revision: str, files: list[FileFact]) -> RepoLadder:
    groups: dict[str, list[FileFact]] = {}
    for f in files:
        q = quant_of(f.name)
        if q is not None:
            groups.setdefault(q, []).append(f)
    quants = [Quant(name, tuple(sorted(fs, key=lambda f: f.name))) for name, fs in groups.items()]
    return RepoLadder(repo, revision, tuple(sorted(quants, key=lambda q: _rank(q.name))))


def _hub_error(exc: Exception, repo: str) -> UserError:
    """The one map from huggingface_hub/httpx failures to a line the user can act on."""
    from huggingface_hub.errors import (
        GatedRepoError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    if isinstance(exc, GatedRepoError):
        return UserError(
            f"{repo} is gated: accept its terms on the Hub, then use a token",
            hint="export HF_TOKEN=hf_… (a token with read access)",
        )
    if isinstance(exc, RepositoryNotFoundError):
        return UserError(
            f"{repo} was not found on {endpoint()} (or it is private)",
            hint="check the ORG/REPO spelling; for a private repo export HF_TOKEN",
        )
    if isinstance(exc, RevisionNotFoundError):
        return UserError(f"{repo} has no such revision", hint="drop --revision to use main")
    if isinstance(exc, OfflineModeIsEnabled):
        return UserError(
            f"cannot look up {repo}: HF_HUB_OFFLINE is set",
            hint="unset HF_HUB_OFFLINE, or plan a local file: bench plan --model x.gguf",
        )
    return UserError(
        f"cannot reach {endpoint()} to look up {repo} ({type(exc).__name__}: {exc})",
        hint="check the network (or HF_ENDPOINT); a local file works offline: "
        "bench plan --model path/to/model.gguf",
    )


def list_ladder(repo: str, revision: str | None = None) -> RepoLadder:
    """All GGUF quants of ``repo`` with sizes and LFS sha256: one model-info request."""
    from huggingface_hub import HfApi

    try:
        info = HfApi(endpoint=endpoint(), token=token()).model_info(
            repo, revision=revision, files_metadata=True
        )
    except Exception as exc:
        raise _hub_error(exc, repo) from exc
    files = [
        FileFact(s.rfilename, s.size, s.lfs.sha256 if s.lfs else None) for s in info.siblings or []
    ]
    ladder = ladder_from_files(repo, info.sha or revision or "main", files)
    if not ladder.quants:
        ggufs = [f.name for f in files if f.name.endswith(".gguf")]
        hint = (
            ("its .gguf files name no quant type: " + ", ".join(ggufs[:3]))
            if ggufs
            else (f"look for a GGUF conversion, e.g. {repo}-GGUF")
        )
        raise UserError(f"{repo} has no GGUF quants", hint=hint)
    return ladder


class RangeReader:
    """``fetch(offset, n)`` over one remote file, through huggingface_hub's HTTP session."""

    def __init__(self, repo: str, filename: str, revision: str) -> None:
        from huggingface_hub import hf_hub_url
        from huggingface_hub.utils import build_hf_headers, get_session

        self.url = hf_hub_url(repo, filename, revision=revision, endpoint=endpoint())
        self.headers = build_hf_headers(token=token())
        self.session: Any = get_session()
        self.label = f"{repo}/{filename}"
        self.bytes_read = 0

    def fetch(self, offset: int, n: int) -> bytes:
        headers = {**self.headers, "Range": f"bytes={offset}-{offset + n - 1}"}
        try:
            r = self.session.get(self.url, headers=headers, follow_redirects=True, timeout=30)
        except Exception as exc:
            raise _hub_error(exc, self.label) from exc
        if r.status_code == 416:
            return b""
        if r.status_code not in (200, 206):
            from huggingface_hub.utils import hf_raise_for_status

            try:
                hf_raise_for_status(r)
            except Exception as exc:
                raise _hub_error(exc, self.label) from exc
        data = bytes(r.content)
        if r.status_code == 200:  # the server ignored the range: keep only what was asked
            data = data[offset : offset + n]
        self.bytes_read += len(data)
        return data[:n]


def read_remote_header(
    repo: str,
    revision: str,
    f: FileFact,
    sibling: GGUFHeader | None = None,
    on_read: Callable[[int], None] | None = None,
) -> GGUFHeader:
    """One remote header. With ``sibling`` (another quant of the same model), its large values
    (the tokenizer) are skipped, so a quant costs tens of KB instead of megabytes."""
    reader = RangeReader(repo, f.name, revision)
    header = None
    if sibling is not None and sibling.value_spans:
        try:
            header = read_header(
                reader.fetch,
                f.size_bytes,
                reader.label,
                first_chunk=64 * 1024,
                skip=sibling.value_spans,
            )
        except (SkipMismatch, UserError):
            header = None  # different tokenizer or layout: read this one whole
    if header is None:
        header = read_header(reader.fetch, f.size_bytes, reader.label, first_chunk=512 * 1024)
    if on_read:
        on_read(reader.bytes_read)
    return header

"""Hugging Face repositories: the quant ladder of a GGUF repo, and GGUF headers read remotely
with HTTP Range requests (a few MB per file, never the tensor data).

Everything goes through huggingface_hub, so ``HF_ENDPOINT`` (read at call time), ``HF_TOKEN``
and the standard cache behave as they do for every other tool.
"""

from __future__ import annotations

import os
import re
import unicodedata
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.model._gguf import MAX_HEADER_BYTES, GGUFHeader, SkipMismatch, read_header
from bench.model._spec import FileFact
from probe.errors import UserError

# Quant names as they appear in GGUF file names (llama.cpp's quantize presets, unsloth's UD-*).
_QUANT_RE = re.compile(
    r"(?<![A-Za-z0-9])((?:UD-)?(?:IQ[1-4]_(?:XXS|XS|S|M|NL)|Q[2-8]_K(?:_XL|_[SML])?|Q[4-8]_[01]"
    r"|TQ[12]_0|MXFP4(?:_MOE)?|BF16|F16|F32))(?=[-_.]|$)",
    re.IGNORECASE,
)
SHARD_RE = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$")
MAX_SHARDS = 1024  # the largest published split models have ~100 shards (DeepSeek-V3 BF16: 30)
# File names a repo lists become paths in the cache: bounded like a file system bounds them
# (NAME_MAX 255 bytes a segment on Linux, macOS and Windows; PATH_MAX-ish 1024 in all).
MAX_SEGMENT_BYTES = 255
MAX_NAME_BYTES = 1024
# Characters that some tools map to '/' or '\\' (NFKC, Windows "best fit" code pages): a name
# holding one is refused rather than trusted to stay a plain character everywhere.
_SLASH_LIKE = frozenset("\u2044\u2215\u2216\u29f8\u29f9\ufe68\uff0f\uff3c")
_DRIVE_RE = re.compile(r"[A-Za-z]:")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")
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
    # Quants left out, with why: a split set with missing shards or impossible numbers.
    refused: tuple[tuple[str, str], ...] = ()

    def get(self, name: str) -> Quant:
        for q in self.quants:
            if q.name.upper() == name.upper():
                return q
        have = ", ".join(q.name for q in self.quants)
        for q_name, why in self.refused:
            if q_name.upper() == name.upper():
                raise UserError(
                    f"{self.repo}: {q_name} cannot be used: {why}", hint=f"available: {have}"
                )
        raise UserError(f"{self.repo} has no {name} quant", hint=f"available: {have}")


def unsafe_name(name: str) -> str | None:
    """Why a file name a repo lists cannot be a plain relative path inside the cache; None when
    it can. Checked as given, NFKC-normalised and percent-decoded, so look-alikes (U+2024,
    U+FF0E) and ``%2e%2e%2f`` cannot pass as something else to a later tool."""
    if not name:
        return "it is empty"
    for form in dict.fromkeys(
        (name, unicodedata.normalize("NFKC", name), urllib.parse.unquote(name))
    ):
        if not form.isprintable():
            return "it holds a control or non-printable character"
        if "\\" in form or any(c in _SLASH_LIKE for c in form):
            return "it holds a backslash or a slash look-alike"
        if form.startswith("/") or _DRIVE_RE.match(form):
            return "it is an absolute path"
        segments = form.split("/")
        if any(seg in ("", ".", "..") for seg in segments):
            return "it has an empty, '.' or '..' segment"
        if len(form.encode()) > MAX_NAME_BYTES:
            return f"it is longer than {MAX_NAME_BYTES} bytes"
        if any(len(seg.encode()) > MAX_SEGMENT_BYTES for seg in segments):
            return f"a segment is longer than {MAX_SEGMENT_BYTES} bytes"
    return None


def parse_shard(name: str) -> tuple[int, int] | None:
    """``x-00002-of-00003.gguf`` -> (2, 3); None when not split; a UserError when the numbers
    cannot be right (index 0, index past count, more than MAX_SHARDS)."""
    m = SHARD_RE.search(name)
    if not m:
        return None
    index, count = int(m.group(1)), int(m.group(2))
    if not 1 <= index <= count or count > MAX_SHARDS:
        raise UserError(
            f"{name[:120]}: shard {index} of {count} is not a valid split",
            hint=f"split GGUF files are numbered 00001 … N with N at most {MAX_SHARDS}",
        )
    return index, count


def _few(names: list[str]) -> str:
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    return ", ".join(n[:120] for n in names[:3]) + more


def shard_problem(files: tuple[FileFact, ...]) -> str | None:
    """Why the files of one quant cannot make one model; None for one whole file or a complete
    split set (every shard 1 … N of one N, N at most MAX_SHARDS)."""
    sets: dict[tuple[str, int], set[int]] = {}
    whole = []
    for f in files:
        try:
            shard = parse_shard(f.name)
        except UserError:
            return f"{f.name[:120]}: not a valid split (N at most {MAX_SHARDS})"
        if shard is None:
            whole.append(f.name)
            continue
        stem = f.name[: SHARD_RE.search(f.name).start()]  # type: ignore[union-attr]
        sets.setdefault((stem, shard[1]), set()).add(shard[0])
    if sets and whole:
        return f"it mixes whole files ({_few(whole)}) with split shards"
    if len(sets) > 1:
        return f"it holds {len(sets)} different split sets: {_few([s for s, _ in sets])}"
    for (stem, count), have in sets.items():
        missing = [
            f"{stem}-{i:05d}-of-{count:05d}.gguf" for i in range(1, count + 1) if i not in have
        ]
        if missing:
            return f"{len(missing)} of its {count} shards are missing: {_few(missing)}"
    return None


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
    """The quants among a repo's files, lowest bits first.

    Raises:
        UserError: a GGUF file name is not a plain relative path (absolute, ``..``, control
            characters, look-alikes): such a repo is refused whole, nothing of it is used.
    """
    hostile = [
        (f.name, why)
        for f in files
        if f.name.lower().endswith(".gguf") and (why := unsafe_name(f.name))
    ]
    if hostile:
        raise UserError(
            f"{repo} lists GGUF files whose names are not plain relative paths "
            f"({hostile[0][1]}): {_few([repr(n) for n, _ in hostile])}",
            hint="refusing the repo: its files could land outside the cache; "
            "report it to its owner, or download a file by hand and plan it locally",
        )
    groups: dict[str, list[FileFact]] = {}
    for f in files:
        q = quant_of(f.name)
        if q is not None:
            groups.setdefault(q, []).append(f)
    quants, refused = [], []
    for name, fs in groups.items():
        quant = Quant(name, tuple(sorted(fs, key=lambda f: f.name)))
        why = shard_problem(quant.files)
        if why is None:
            quants.append(quant)
        else:
            refused.append((name, why))
    return RepoLadder(
        repo,
        revision,
        tuple(sorted(quants, key=lambda q: _rank(q.name))),
        tuple(sorted(refused, key=lambda r: _rank(r[0]))),
    )


def network_errors() -> tuple[type[Exception], ...]:
    """What talking to a hub can raise that is not a bug: OSError (refused, reset, disk) and
    the HTTP client's error base. huggingface_hub 2.x's HfHubHTTPError derives from it (httpx2's
    HTTPError, which also covers connect, read and timeout failures); it is found through the
    class so a client change in huggingface_hub cannot silently widen or narrow it."""
    from huggingface_hub.errors import HfHubHTTPError

    client = [c for c in HfHubHTTPError.__mro__[1:] if c not in (OSError, Exception)]
    return (OSError, HfHubHTTPError, *[c for c in client[:1] if issubclass(c, Exception)])


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
    except network_errors() as exc:
        raise _hub_error(exc, repo) from exc
    files = [
        FileFact(s.rfilename, s.size, s.lfs.sha256 if s.lfs else None) for s in info.siblings or []
    ]
    bad_sha = [f.name for f in files if f.sha256 is not None and not _SHA256_RE.fullmatch(f.sha256)]
    if any(n.lower().endswith(".gguf") for n in bad_sha):
        raise UserError(
            f"{repo} gives LFS sha256 values that are not 64 hex digits for {_few(bad_sha)}",
            hint="the hub (or HF_ENDPOINT) is misbehaving; check HF_ENDPOINT",
        )
    ladder = ladder_from_files(repo, info.sha or revision or "main", files)
    if not ladder.quants and ladder.refused:
        name, why = ladder.refused[0]
        raise UserError(
            f"{repo} has no usable GGUF quant: {name} cannot be used: {why}",
            hint="the upload may be incomplete; try again later or pick another repo",
        )
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
        """Up to ``n`` bytes at ``offset``. The body is streamed and cut at what was asked, so a
        server that ignores Range (200 with the whole file) costs ``offset + n`` bytes, not the
        file; over one file at most ``MAX_HEADER_BYTES`` are received, else a UserError."""
        headers = {**self.headers, "Range": f"bytes={offset}-{offset + n - 1}"}
        try:
            with self.session.stream(
                "GET", self.url, headers=headers, follow_redirects=True, timeout=30
            ) as r:
                if r.status_code == 416:
                    return b""
                if r.status_code not in (200, 206):
                    r.read()
                    self._raise(r)
                start = offset if r.status_code == 200 else 0  # range ignored: skip to offset
                data = self._receive(r.iter_bytes(), start + n)[start:]
        except UserError:
            raise
        except network_errors() as exc:
            raise _hub_error(exc, self.label) from exc
        return data[:n]

    def _receive(self, chunks: Any, limit: int) -> bytes:
        parts: list[bytes] = []
        have = 0
        for chunk in chunks:
            self.bytes_read += len(chunk)
            if self.bytes_read > MAX_HEADER_BYTES:
                raise UserError(
                    f"{self.label}: reading its GGUF header took more than "
                    f"{MAX_HEADER_BYTES >> 20} MiB; stopped",
                    hint="the file or the server is misbehaving (real headers are under 20 MB); "
                    "download the file and plan it locally: bench plan --model FILE.gguf",
                )
            parts.append(chunk)
            have += len(chunk)
            if have >= limit:
                break  # leaving the stream early closes the connection
        return b"".join(parts)

    def _raise(self, r: Any) -> None:
        from huggingface_hub.utils import hf_raise_for_status

        try:
            hf_raise_for_status(r)
        except network_errors() as exc:
            raise _hub_error(exc, self.label) from exc


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

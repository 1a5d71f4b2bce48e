"""Download GGUF files into the standard Hugging Face cache, resumably and verified.

Files land where huggingface_hub puts them (``models--ORG--NAME/blobs/<sha256>`` with
``snapshots/<commit>/<path>`` links and ``refs/main``), so hf_hub_download, llama.cpp's ``-hf``
and every other tool reuse them. Unlike huggingface_hub 2.x, which deletes a partial file when a
download stops, a partial blob is kept beside the final one and the next run continues it with
an HTTP Range request. Every LFS file is checked against the hub's sha256; a mismatch deletes it.

Every name that comes from outside (a repo's file names, its commit, LFS hashes) becomes a path
only through ``safe_repo_path``, and one blob is downloaded under a file lock (the one
huggingface_hub takes for the same blob), so two sweeps fetching it at once share one download.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.model._hub import endpoint, network_errors, token, unsafe_name
from bench.model._spec import FileFact
from probe.errors import UserError

PARTIAL = ".rigbench-partial"
DISK_MARGIN = 1.05  # ask for 5 % more free space than the files need
_BLOB_RE = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")  # git sha1 or LFS sha256


def cache_root() -> Path:
    """huggingface_hub's cache folder, read from the environment at call time."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "huggingface" / "hub"


def safe_repo_path(root: Path, name: str) -> Path:
    """``root / name`` for a name that came from outside (a hub listing, a commit, a hash).

    Raises:
        UserError: ``name`` is not a plain relative path (``unsafe_name``: absolute, ``..``,
            backslashes, control characters, look-alikes, too long), or ``root / name`` resolves
            (through symbolic links already on disk) to somewhere outside ``root``.
    """
    why = unsafe_name(name)
    path = root / name
    if why is None:
        base = root.resolve()
        if not path.parent.resolve().is_relative_to(base):
            why = f"it leads outside {root}"
    if why is not None:
        raise UserError(
            f"refusing the file name {name[:120]!r}: {why}",
            hint="the repository (or HF_ENDPOINT) lists a name that could write outside the "
            "HF cache; nothing was written",
        )
    return path


def _segment(root: Path, name: str) -> Path:
    """One folder or file directly under ``root`` (a repo folder, a commit, a blob)."""
    if "/" in name:
        raise UserError(
            f"refusing the name {name[:120]!r}: it must be one path segment",
            hint="the repository (or HF_ENDPOINT) gave an unexpected commit or hash",
        )
    return safe_repo_path(root, name)


def repo_folder(repo: str) -> Path:
    return _segment(cache_root(), "models--" + repo.replace("/", "--"))


def snapshot_path(repo: str, commit: str, name: str) -> Path:
    return safe_repo_path(_segment(repo_folder(repo) / "snapshots", commit), name)


def _sha256(path: Path, progress: Callable[[int], None] | None = None) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(8 << 20), b""):
            h.update(chunk)
            if progress:
                progress(len(chunk))
    return h.hexdigest()


def cached(repo: str, commit: str, files: tuple[FileFact, ...]) -> list[Path] | None:
    paths = [snapshot_path(repo, commit, f.name) for f in files]
    ok = all(
        p.exists() and (f.size_bytes is None or p.stat().st_size == f.size_bytes)
        for p, f in zip(paths, files, strict=True)
    )
    return paths if ok else None


def _latest_commit(repo: str) -> str | None:
    ref = repo_folder(repo) / "refs" / "main"
    return ref.read_text().strip() if ref.exists() else None


def download(
    repo: str,
    commit: str,
    files: tuple[FileFact, ...],
    offline: bool = False,
    tqdm_class: Any = None,
    log: Callable[[str], None] = lambda _: None,
) -> list[Path]:
    """Every shard of one quant, in order; resumes partial files; verifies sha256."""
    have = cached(repo, commit, files)
    if have is not None:
        return have
    if offline:
        raise UserError(
            f"{repo} ({', '.join(f.name for f in files)}) is not in the HF cache {cache_root()}",
            hint="run the same command without --offline once",
        )
    need = sum(
        (f.size_bytes or 0) - _partial_size(repo, f)
        for f in files
        if not snapshot_path(repo, commit, f.name).exists()
    )
    root = repo_folder(repo)
    root.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(root).free
    if need * DISK_MARGIN > free:
        raise UserError(
            f"not enough disk for {repo}: needs {need / 1e9:.1f} GB, {free / 1e9:.1f} GB free "
            f"under {cache_root()}",
            hint="free space, or point HF_HUB_CACHE at a bigger disk",
        )
    for f in files:
        _one(repo, commit, f, tqdm_class, log)
    (root / "refs").mkdir(exist_ok=True)
    (root / "refs" / "main").write_text(commit)
    return [snapshot_path(repo, commit, f.name) for f in files]


def _blob(repo: str, f: FileFact) -> Path:
    key = f.sha256 or hashlib.sha1(f.name.encode()).hexdigest()
    if not _BLOB_RE.fullmatch(key):
        raise UserError(
            f"{repo}/{f.name[:120]}: the hub's sha256 {key[:80]!r} is not 64 hex digits",
            hint="the hub (or HF_ENDPOINT) is misbehaving; nothing was written",
        )
    return _segment(repo_folder(repo) / "blobs", key)


def _lock_path(repo: str, blob: Path) -> Path:
    """huggingface_hub's lock for the same blob (``.locks/models--…/<blob>.lock``), so that
    hf_hub_download and rigbench never write one blob at the same time either."""
    return _segment(cache_root() / ".locks", repo_folder(repo).name) / f"{blob.name}.lock"


def _partial_size(repo: str, f: FileFact) -> int:
    p = Path(str(_blob(repo, f)) + PARTIAL)
    return p.stat().st_size if p.exists() else 0


def _one(repo: str, commit: str, f: FileFact, tqdm_class: Any, log: Callable[[str], None]) -> None:
    from filelock import FileLock

    blob = _blob(repo, f)
    link = snapshot_path(repo, commit, f.name)
    lock = _lock_path(repo, blob)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock)):  # a second sweep waits here, then finds the finished blob
        if not blob.exists():
            _fetch_blob(repo, commit, f, blob, tqdm_class, log)
        link.parent.mkdir(parents=True, exist_ok=True)
        # A short temporary name: the link's own name may already be 255 bytes long.
        tmp = link.with_name("." + hashlib.sha1(link.name.encode()).hexdigest()[:16] + PARTIAL)
        tmp.unlink(missing_ok=True)
        os.symlink(os.path.relpath(blob, link.parent), tmp)
        os.replace(tmp, link)  # atomic: readers see the old link or the new one


def _fetch_blob(
    repo: str, commit: str, f: FileFact, blob: Path, tqdm_class: Any, log: Callable[[str], None]
) -> None:
    from huggingface_hub import get_hf_file_metadata, hf_hub_url
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    blob.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(str(blob) + PARTIAL)
    start = partial.stat().st_size if partial.exists() else 0
    if f.size_bytes is not None and start > f.size_bytes:
        partial.unlink()
        start = 0
    if start:
        log(f"resuming {f.name} at {start / 1e6:.0f} MB")
    try:
        url = hf_hub_url(repo, f.name, revision=commit, endpoint=endpoint())
        meta = get_hf_file_metadata(url, token=token(), endpoint=endpoint())
        with partial.open("ab") as fh:
            if f.size_bytes is None or start < f.size_bytes:
                http_get(
                    meta.location,
                    fh,
                    resume_size=start,
                    headers=build_hf_headers(token=token()),
                    expected_size=f.size_bytes or meta.size,
                    tqdm_class=tqdm_class,
                )
    except UserError:
        raise
    except network_errors() as exc:
        raise UserError(
            f"download of {repo}/{f.name} stopped ({type(exc).__name__}: {exc}); "
            f"{partial.stat().st_size / 1e6:.0f} MB kept",
            hint="run the same command again to resume",
        ) from exc
    if f.sha256:
        got = _sha256(partial)
        if got != f.sha256:
            partial.unlink()
            raise UserError(
                f"{repo}/{f.name} is corrupt: sha256 {got[:12]}… but the hub says "
                f"{f.sha256[:12]}…; deleted it",
                hint="run the same command again",
            )
    partial.rename(blob)


def from_cache(repo: str) -> tuple[str, list[Path]] | None:
    """The newest cached snapshot of ``repo`` (for --offline without a network lookup)."""
    commit = _latest_commit(repo)
    if commit is None:
        return None
    snap = _segment(repo_folder(repo) / "snapshots", commit)
    files = sorted(p for p in snap.rglob("*.gguf"))
    return (commit, files) if files else None

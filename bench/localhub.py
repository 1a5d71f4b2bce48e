"""A local Hugging Face-compatible endpoint on 127.0.0.1, for tests and the offline demo.

It implements what huggingface_hub (2.x) asks of the Hub for model repositories: model info
(``/api/models/{repo}[/revision/{rev}]``), the paginated tree listing with sizes and LFS sha256,
``paths-info``, and ``/{repo}/resolve/{rev}/{path}`` with X-Repo-Commit / ETag / X-Linked-*
headers and a redirect to a "CDN" path that honours HTTP Range. Missing repos, files and
revisions get 404 with the Hub's X-Error-Code; gated repos get 401 without a valid token.

It can misbehave on request (``hub.faults``): drop the connection part-way through a file, serve
wrong bytes for a file, or answer slowly, so resume and verification can be tested.

Run it by hand: ``python -m bench.localhub --demo`` then ``export HF_ENDPOINT=<printed url>``.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PAGE_SIZE = 50  # tree entries per page; the Hub pages at 1000 — smaller here to test paging
LFS_SUFFIXES = (".gguf", ".safetensors", ".bin", ".dat")
CHUNK = 1 << 20


@dataclass
class HubFile:
    path: str
    source: Path | bytes
    size: int
    sha256: str
    lfs: bool

    @property
    def git_oid(self) -> str:
        """The git blob id: of the content, or of the LFS pointer file for LFS files."""
        body = self.pointer() if self.lfs else self.read(0, self.size)
        return hashlib.sha1(b"blob %d\0" % len(body) + body).hexdigest()

    def pointer(self) -> bytes:
        return (
            f"version https://git-lfs.github.com/spec/v1\noid sha256:{self.sha256}\n"
            f"size {self.size}\n"
        ).encode()

    def read(self, start: int, length: int) -> bytes:
        if isinstance(self.source, bytes):
            return self.source[start : start + length]
        with self.source.open("rb") as f:
            f.seek(start)
            return f.read(length)


@dataclass
class HubRepo:
    repo_id: str
    files: dict[str, HubFile]
    commit: str
    gated: bool = False
    last_modified: str = "2026-11-01T00:00:00.000Z"


@dataclass
class Faults:
    """Misbehaviour, per file path (``repo_id/path``).

    drop_after: close the connection after this many body bytes (``times`` left, -1 = always).
    corrupt: flip one byte in the middle of the body. delay_s: sleep before every answer.
    """

    drop_after: dict[str, tuple[int, int]] = field(default_factory=dict)
    corrupt: set[str] = field(default_factory=set)
    delay_s: float = 0.0


def _sha256_of(source: Path | bytes) -> str:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    h = hashlib.sha256()
    with source.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


class LocalHub:
    """The server. ``with LocalHub() as hub: hub.add_repo(...)``, then HF_ENDPOINT=hub.url."""

    def __init__(self, tokens: tuple[str, ...] = ("hf_rigbench_test_token",)) -> None:
        self.repos: dict[str, HubRepo] = {}
        self.tokens = set(tokens)
        self.faults = Faults()
        self.bytes_sent = 0
        self.requests: list[tuple[str, str, str]] = []  # (method, path, range header)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- repositories ---------------------------------------------------------------------
    def add_repo(
        self, repo_id: str, files: dict[str, Path | bytes | str], gated: bool = False
    ) -> HubRepo:
        hub_files = {}
        for path, src in files.items():
            source: Path | bytes = src.encode() if isinstance(src, str) else src
            size = len(source) if isinstance(source, bytes) else source.stat().st_size
            lfs = path.endswith(LFS_SUFFIXES)
            hub_files[path] = HubFile(path, source, size, _sha256_of(source), lfs)
        commit = hashlib.sha1(
            json.dumps(sorted((p, f.sha256) for p, f in hub_files.items())).encode()
        ).hexdigest()
        repo = HubRepo(repo_id, hub_files, commit, gated)
        self.repos[repo_id] = repo
        return repo

    def reset_counters(self) -> None:
        with self._lock:
            self.bytes_sent = 0
            self.requests.clear()

    # -- server lifecycle -----------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self._server is not None, "start() the hub first"
        host, port = self._server.server_address[:2]
        if isinstance(host, bytes):
            host = host.decode()
        return f"http://{host}:{port}"

    def start(self, port: int = 0) -> LocalHub:
        hub = self

        class Handler(_Handler):
            owner = hub

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    owner: LocalHub
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests read hub.requests instead

    # -- plumbing ---------------------------------------------------------------------------
    def _send(
        self,
        status: int,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)
            with self.owner._lock:
                self.owner.bytes_sent += len(body)

    def _json(self, status: int, data: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data).encode(), headers)

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"error": message}, {"X-Error-Code": code, "X-Error-Message": message})

    def _authorised(self, repo: HubRepo) -> bool:
        if not repo.gated:
            return True
        auth = self.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.owner.tokens

    def _repo(self, repo_id: str, revision: str | None) -> HubRepo | None:
        repo = self.owner.repos.get(repo_id)
        if repo is None:
            self._error(404, "RepoNotFound", f"Repository not found: {repo_id}")
            return None
        if not self._authorised(repo):
            self._error(401, "GatedRepo", f"Access to model {repo_id} is restricted.")
            return None
        if revision not in (None, "main", repo.commit):
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}")
            return None
        return repo

    def _entry(self, f: HubFile, expand: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {"type": "file", "oid": f.git_oid, "size": f.size, "path": f.path}
        if f.lfs:
            entry["lfs"] = {"oid": f.sha256, "size": f.size, "pointerSize": len(f.pointer())}
        if expand:
            entry["lastCommit"] = {"id": "", "title": "upload", "date": "2026-11-01T00:00:00.000Z"}
        return entry

    # -- routes -----------------------------------------------------------------------------
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self._route()

    def do_POST(self) -> None:
        self._route()

    def _route(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(url.path)
        query = urllib.parse.parse_qs(url.query)
        with self.owner._lock:
            self.owner.requests.append((self.command, path, self.headers.get("Range", "")))
        if self.owner.faults.delay_s:
            time.sleep(self.owner.faults.delay_s)
        m = re.fullmatch(r"/api/models/([^/]+/[^/]+)(?:/revision/([^/]+))?", path)
        if m and self.command == "GET":
            return self._model_info(m.group(1), m.group(2), query)
        m = re.fullmatch(r"/api/models/([^/]+/[^/]+)/tree/([^/]+)(?:/(.*))?", path)
        if m and self.command == "GET":
            return self._tree(m.group(1), m.group(2), m.group(3) or "", query)
        m = re.fullmatch(r"/api/models/([^/]+/[^/]+)/paths-info/([^/]+)", path)
        if m and self.command == "POST":
            return self._paths_info(m.group(1), m.group(2))
        m = re.fullmatch(r"/([^/]+/[^/]+)/resolve/([^/]+)/(.+)", path)
        if m and self.command in ("GET", "HEAD"):
            return self._resolve(m.group(1), m.group(2), m.group(3))
        m = re.fullmatch(r"/cdn/([^/]+/[^/]+)/([0-9a-f]{64})/(.+)", path)
        if m and self.command in ("GET", "HEAD"):
            return self._cdn(m.group(1), m.group(2), m.group(3))
        self._error(404, "NotFound", f"no route for {self.command} {path}")

    def _model_info(self, repo_id: str, revision: str | None, query: dict[str, list[str]]) -> None:
        repo = self._repo(repo_id, revision)
        if repo is None:
            return
        blobs = query.get("blobs", ["false"])[0].lower() == "true"
        siblings = []
        for f in repo.files.values():
            s: dict[str, Any] = {"rfilename": f.path}
            if blobs:
                s.update(size=f.size, blobId=f.git_oid)
                if f.lfs:
                    s["lfs"] = {"sha256": f.sha256, "size": f.size, "pointerSize": len(f.pointer())}
            siblings.append(s)
        gguf_total = sum(f.size for f in repo.files.values() if f.path.endswith(".gguf"))
        info = {
            "_id": repo.commit[:24],
            "id": repo_id,
            "modelId": repo_id,
            "author": repo_id.split("/")[0],
            "sha": repo.commit,
            "lastModified": repo.last_modified,
            "private": False,
            "disabled": False,
            "gated": "manual" if repo.gated else False,
            "downloads": 0,
            "likes": 0,
            "library_name": "gguf" if gguf_total else None,
            "tags": ["gguf"] if gguf_total else [],
            "siblings": siblings,
            "createdAt": "2026-11-01T00:00:00.000Z",
            "usedStorage": sum(f.size for f in repo.files.values()),
        }
        if gguf_total:
            info["gguf"] = {"total": gguf_total}
        self._json(200, info)

    def _tree(self, repo_id: str, revision: str, sub: str, query: dict[str, list[str]]) -> None:
        repo = self._repo(repo_id, revision)
        if repo is None:
            return
        recursive = query.get("recursive", ["false"])[0].lower() == "true"
        expand = query.get("expand", ["false"])[0].lower() == "true"
        prefix = sub.strip("/") + "/" if sub.strip("/") else ""
        entries: list[dict[str, Any]] = []
        dirs: set[str] = set()
        for f in sorted(repo.files.values(), key=lambda x: x.path):
            if not f.path.startswith(prefix):
                continue
            rest = f.path[len(prefix) :]
            parts = rest.split("/")
            for depth in range(1, len(parts)):
                d = prefix + "/".join(parts[:depth])
                if d not in dirs and (recursive or depth == 1):
                    dirs.add(d)
                    entries.append({"type": "directory", "oid": "0" * 40, "size": 0, "path": d})
            if recursive or len(parts) == 1:
                entries.append(self._entry(f, expand))
        if prefix and not entries:
            self._error(404, "EntryNotFound", f"{sub} does not exist on {revision}")
            return
        cursor = int(query.get("cursor", ["0"])[0])
        page = entries[cursor : cursor + PAGE_SIZE]
        headers = {}
        if cursor + PAGE_SIZE < len(entries):
            params = {k: v[0] for k, v in query.items()}
            params["cursor"] = str(cursor + PAGE_SIZE)
            nxt = f"{self.owner.url}{urllib.parse.quote(self.path.split('?')[0])}?" + (
                urllib.parse.urlencode(params)
            )
            headers["Link"] = f'<{nxt}>; rel="next"'
        self._json(200, page, headers)

    def _paths_info(self, repo_id: str, revision: str) -> None:
        repo = self._repo(repo_id, revision)
        if repo is None:
            return
        length = int(self.headers.get("Content-Length", "0") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        if self.headers.get("Content-Type", "").startswith("application/json"):
            paths = json.loads(raw or "{}").get("paths", [])
        else:
            paths = urllib.parse.parse_qs(raw).get("paths", [])
        wanted = {p.strip("/") for p in paths}
        out = [self._entry(f, False) for p, f in repo.files.items() if p in wanted]
        self._json(200, out)

    def _resolve(self, repo_id: str, revision: str, file_path: str) -> None:
        repo = self._repo(repo_id, revision)
        if repo is None:
            return
        f = repo.files.get(file_path)
        if f is None:
            self._error(404, "EntryNotFound", f"Entry not found: {file_path}")
            return
        common = {"X-Repo-Commit": repo.commit, "Accept-Ranges": "bytes"}
        if f.lfs:
            location = f"/cdn/{repo_id}/{f.sha256}/{urllib.parse.quote(file_path)}"
            self._send(
                302,
                b"",
                {
                    **common,
                    "Location": location,
                    "X-Linked-Etag": f'"{f.sha256}"',
                    "X-Linked-Size": str(f.size),
                    "ETag": f'"{f.git_oid}"',
                },
            )
            return
        self._body(repo, f, {**common, "ETag": f'"{f.git_oid}"'})

    def _cdn(self, repo_id: str, sha256: str, file_path: str) -> None:
        repo = self.owner.repos.get(repo_id)
        f = repo.files.get(urllib.parse.unquote(file_path)) if repo else None
        if repo is None or f is None or f.sha256 != sha256:
            self._error(404, "EntryNotFound", "no such object")
            return
        self._body(
            repo,
            f,
            {"X-Repo-Commit": repo.commit, "ETag": f'"{f.sha256}"', "Accept-Ranges": "bytes"},
        )

    def _body(self, repo: HubRepo, f: HubFile, headers: dict[str, str]) -> None:
        start, end = 0, f.size - 1
        status = 200
        rng = self.headers.get("Range")
        if rng:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if not m or (not m.group(1) and not m.group(2)):
                self._error(416, "RangeNotSatisfiable", f"bad range {rng}")
                return
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)), f.size - 1) if m.group(2) else f.size - 1
            else:  # suffix range: the last N bytes
                start = max(0, f.size - int(m.group(2)))
            if start >= f.size or start > end:
                self._send(416, b"", {"Content-Range": f"bytes */{f.size}"})
                return
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{f.size}"
        length = end - start + 1
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(length))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        key = f"{repo.repo_id}/{f.path}"
        faults = self.owner.faults
        drop_at = None
        with self.owner._lock:
            if key in faults.drop_after:
                after, times = faults.drop_after[key]
                if times != 0:
                    drop_at = after
                    faults.drop_after[key] = (after, times - 1 if times > 0 else times)
        corrupt_at = f.size // 2 if key in faults.corrupt else None
        pos = start
        while pos <= end:
            n = min(CHUNK, end - pos + 1)
            if drop_at is not None and pos - start + n > drop_at:
                n = drop_at - (pos - start)
                if n > 0:
                    self.wfile.write(f.read(pos, n))
                    self._count(n)
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(2)  # mid-file: the client sees a broken transfer
                return
            chunk = f.read(pos, n)
            if corrupt_at is not None and pos <= corrupt_at < pos + n:
                i = corrupt_at - pos
                chunk = chunk[:i] + bytes([chunk[i] ^ 0xFF]) + chunk[i + 1 :]
            self.wfile.write(chunk)
            self._count(n)
            pos += n

    def _count(self, n: int) -> None:
        with self.owner._lock:
            self.owner.bytes_sent += n


# -- the demo/test repositories ----------------------------------------------------------------

DEMO_README = """---
library_name: gguf
tags: [gguf, rigbench, synthetic]
---
# {name}

Random-weight GGUF quants made by `bench synth` for rigbench's tests and demo.
Shapes and types are real; the weights are noise, so the text they generate is noise too.
"""


def demo_repos(
    folder: Path, arch: str = "llama", n_layer: int = 4, n_embd: int = 256, n_vocab: int = 2048
) -> dict[str, tuple[dict[str, Path | bytes | str], bool]]:
    """Synthetic repositories laid out like real GGUF repos: ``{repo_id: (files, gated)}``.

    ``rigbench-test/synth-<arch>-GGUF`` holds Q4_K_M, Q8_0 and an F16 split into two shards
    in a sub-folder (as unsloth lays out large quants), a README, config and .gitattributes;
    ``rigbench-test/gated-GGUF`` needs a token; ``rigbench-test/no-gguf`` has only safetensors.
    """
    from dataclasses import replace

    from bench.model import SynthSpec, split_gguf, synthesize

    base = SynthSpec(
        arch=arch,
        n_layer=n_layer,
        n_embd=n_embd,
        n_head=4,
        n_head_kv=2,
        n_ff=3 * n_embd,
        n_vocab=n_vocab,
        n_ctx=2048,
    )
    stem = f"synth-{arch}"
    files: dict[str, Path | bytes | str] = {
        "README.md": DEMO_README.format(name=f"{stem}-GGUF"),
        ".gitattributes": "*.gguf filter=lfs diff=lfs merge=lfs -text\n",
        "config.json": json.dumps({"model_type": arch}) + "\n",
    }
    for quant in ("Q4_K_M", "Q8_0"):
        files[f"{stem}-{quant}.gguf"] = synthesize(replace(base, quant=quant)).path
    f16 = synthesize(replace(base, quant="F16")).path
    shards = split_gguf(f16, folder / "F16" / f"{stem}-F16.gguf", 2)
    for shard in shards:
        files[f"F16/{shard.name}"] = shard
    gated: dict[str, Path | bytes | str] = {
        "README.md": DEMO_README.format(name="gated-GGUF"),
        f"{stem}-Q4_K_M.gguf": files[f"{stem}-Q4_K_M.gguf"],
    }
    no_gguf: dict[str, Path | bytes | str] = {
        "README.md": "# not a GGUF repo\n",
        "config.json": '{"model_type": "llama"}\n',
        "model.safetensors": bytes(range(256)) * 64,
    }
    return {
        f"rigbench-test/{stem}-GGUF": (files, False),
        "rigbench-test/gated-GGUF": (gated, True),
        "rigbench-test/no-gguf": (no_gguf, False),
        **gpt_oss_repos(full=False),
    }


TWIN_README = """---
library_name: gguf
base_model: openai/gpt-oss-20b
tags: [gguf, rigbench, synthetic-twin]
---
# {repo} (synthetic twin)

Not the real model: a rigbench twin laid out like `{repo}` on the Hugging Face Hub (the same
file names, architecture `gpt-oss`, its tensor names and quant types, MXFP4 experts), with
random weights. {scale} The text it generates is noise; its speed and memory are the shape's.
"""
# Real file names of the two repos the seeds point at (their Hub listings, 2025-2026).
UNSLOTH_QUANTS = ("F16", "Q8_0", "Q4_K_M", "Q3_K_M", "Q2_K")


def gpt_oss_repos(full: bool = False) -> dict[str, tuple[dict[str, Path | bytes | str], bool]]:
    """``unsloth/gpt-oss-20b-GGUF`` and ``ggml-org/gpt-oss-20b-GGUF`` as twins: the real file
    names and layout; full size (12 GB a file) or scaled down to 4 layers of width 512."""
    import dataclasses

    from bench.model import SHAPES, TwinSpec, make_twin

    h = SHAPES["gpt-oss-20b"]
    scale = "Full size: 24 layers, 2880 wide, 32 experts."
    if not full:
        h = dataclasses.replace(h, n_layer=4, n_embd=512, n_head=8, n_head_kv=2, n_expert=8)
        h = dataclasses.replace(h, n_expert_used=2, n_ff_exp=512, n_vocab=8192, n_ctx=8192)
        scale = "Scaled down for a demo: 4 layers of width 512, 8 experts, 8192 tokens."

    def repo(name: str, quants: dict[str, str]) -> dict[str, Path | bytes | str]:
        files: dict[str, Path | bytes | str] = {
            "README.md": TWIN_README.format(repo=name, scale=scale),
            ".gitattributes": "*.gguf filter=lfs diff=lfs merge=lfs -text\n",
        }
        for file_name, quant in quants.items():
            files[file_name] = make_twin(TwinSpec(h, quant)).path
        return files

    out: dict[str, tuple[dict[str, Path | bytes | str], bool]] = {}
    if not full:  # the full-size twin is written once, under ggml-org's file name only
        unsloth = {f"gpt-oss-20b-{q}.gguf": q for q in UNSLOTH_QUANTS}
        out["unsloth/gpt-oss-20b-GGUF"] = (repo("unsloth/gpt-oss-20b-GGUF", unsloth), False)
    mxfp4 = {"gpt-oss-20b-mxfp4.gguf": "MXFP4"}
    out["ggml-org/gpt-oss-20b-GGUF"] = (repo("ggml-org/gpt-oss-20b-GGUF", mxfp4), False)
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse
    import tempfile

    ap = argparse.ArgumentParser(description="Serve rigbench's synthetic GGUF repos locally.")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--folder", type=Path, default=None, help="where to put split shards")
    args = ap.parse_args(argv)
    folder = args.folder or Path(tempfile.mkdtemp(prefix="rigbench-hub-"))
    hub = LocalHub()
    for repo_id, (files, gated) in demo_repos(folder).items():
        hub.add_repo(repo_id, files, gated=gated)
    hub.start(args.port)
    print(hub.url, flush=True)
    import sys

    print(f"serving {', '.join(hub.repos)}; export HF_ENDPOINT={hub.url}", file=sys.stderr)
    import contextlib

    with contextlib.suppress(KeyboardInterrupt):
        threading.Event().wait()
    hub.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

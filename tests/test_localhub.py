"""The local Hugging Face endpoint, exercised through huggingface_hub itself."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from huggingface_hub import HfApi, HfFileSystem, hf_hub_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from bench.localhub import LocalHub

REPO = "rigbench-test/synth-llama-GGUF"
Q8 = "synth-llama-Q8_0.gguf"
TOKEN = "hf_rigbench_test_token"


@pytest.fixture
def api(hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> HfApi:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    hub.faults.drop_after.clear()
    hub.faults.corrupt.clear()
    hub.faults.delay_s = 0.0
    return HfApi(endpoint=hub.url)


def sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def test_tree_lists_sizes_lfs_sha256_and_pages(api: HfApi, hub: LocalHub) -> None:
    entries = {e.path: e for e in api.list_repo_tree(REPO, recursive=True)}
    assert {
        "README.md",
        ".gitattributes",
        "config.json",
        Q8,
        "synth-llama-Q4_K_M.gguf",
        "F16",
        "F16/synth-llama-F16-00001-of-00002.gguf",
        "F16/synth-llama-F16-00002-of-00002.gguf",
    } == set(entries)
    q8 = hub.repos[REPO].files[Q8]
    assert entries[Q8].size == q8.size and entries[Q8].lfs.sha256 == q8.sha256
    assert entries["README.md"].lfs is None


def test_tree_pagination_follows_link_headers(api: HfApi, hub: LocalHub) -> None:
    many = {f"part-{i:03d}.txt": f"{i}\n" for i in range(120)}
    hub.add_repo("rigbench-test/many-files", many)
    listed = [e.path for e in api.list_repo_tree("rigbench-test/many-files")]
    assert sorted(listed) == sorted(many)
    pages = [r for r in hub.requests if "many-files/tree" in r[1]]
    assert len(pages) >= 3  # 120 entries at 50 a page


def test_model_info_with_file_metadata(api: HfApi, hub: LocalHub) -> None:
    info = api.model_info(REPO, files_metadata=True)
    assert info.sha == hub.repos[REPO].commit
    sizes = {s.rfilename: s.size for s in info.siblings}
    assert sizes[Q8] == hub.repos[REPO].files[Q8].size
    lfs = {s.rfilename: s.lfs for s in info.siblings}
    assert lfs[Q8].sha256 == hub.repos[REPO].files[Q8].sha256


def test_download_follows_the_redirect_and_matches_lfs_sha(
    api: HfApi, hub: LocalHub, tmp_path: Path
) -> None:
    path = hf_hub_download(REPO, Q8, endpoint=hub.url, cache_dir=tmp_path)
    assert sha256(path) == hub.repos[REPO].files[Q8].sha256
    assert any(r[1].startswith("/cdn/") for r in hub.requests)  # the 302 was followed
    assert "snapshots" in path and hub.repos[REPO].commit in path  # standard HF cache layout


def test_range_read_reads_only_the_header(api: HfApi, hub: LocalHub) -> None:
    hub.reset_counters()
    fs = HfFileSystem(endpoint=hub.url)
    with fs.open(f"{REPO}/{Q8}", "rb", block_size=64 * 1024) as f:
        assert f.read(4) == b"GGUF"
    size = hub.repos[REPO].files[Q8].size
    assert any(r[2].startswith("bytes=") for r in hub.requests)
    assert hub.bytes_sent < min(size, 256 * 1024)


def test_missing_repo_file_and_revision(api: HfApi, hub: LocalHub, tmp_path: Path) -> None:
    with pytest.raises(RepositoryNotFoundError):
        api.model_info("rigbench-test/does-not-exist")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download(REPO, "nope.gguf", endpoint=hub.url, cache_dir=tmp_path)
    with pytest.raises(RevisionNotFoundError):
        api.model_info(REPO, revision="v9")


def test_gated_repo_needs_a_token(api: HfApi, hub: LocalHub, tmp_path: Path) -> None:
    with pytest.raises(GatedRepoError):
        api.model_info("rigbench-test/gated-GGUF")
    info = HfApi(endpoint=hub.url, token=TOKEN).model_info("rigbench-test/gated-GGUF")
    assert info.gated == "manual"
    path = hf_hub_download(
        "rigbench-test/gated-GGUF",
        "synth-llama-Q4_K_M.gguf",
        endpoint=hub.url,
        cache_dir=tmp_path,
        token=TOKEN,
    )
    assert Path(path).stat().st_size > 0


def test_dropped_connection_is_retried(api: HfApi, hub: LocalHub, tmp_path: Path) -> None:
    f = hub.repos[REPO].files[Q8]
    hub.faults.drop_after[f"{REPO}/{Q8}"] = (f.size // 3, 1)
    hub.reset_counters()
    path = hf_hub_download(REPO, Q8, endpoint=hub.url, cache_dir=tmp_path)
    assert sha256(path) == f.sha256
    assert len([r for r in hub.requests if r[0] == "GET" and r[1].startswith("/cdn/")]) == 2


def test_dropped_connection_resumes_with_a_range(api: HfApi, hub: LocalHub, tmp_path: Path) -> None:
    # huggingface_hub reads 10 MiB chunks, so a resume needs a drop past the first chunk.
    big = bytes(range(256)) * (24 * 4096)  # 24 MiB
    hub.add_repo("rigbench-test/big", {"big.bin": big})
    hub.faults.drop_after["rigbench-test/big/big.bin"] = (15 * 2**20, 1)
    hub.reset_counters()
    path = hf_hub_download("rigbench-test/big", "big.bin", endpoint=hub.url, cache_dir=tmp_path)
    assert Path(path).read_bytes() == big
    ranges = [r[2] for r in hub.requests if r[1].startswith("/cdn/") and r[2]]
    assert ranges and ranges[0].startswith("bytes=") and int(ranges[0][6:-1]) >= 10 * 2**20


def test_range_requests_are_honoured(hub: LocalHub) -> None:
    import urllib.request

    f = hub.repos[REPO].files[Q8]
    url = f"{hub.url}/cdn/{REPO}/{f.sha256}/{Q8}"
    req = urllib.request.Request(url, headers={"Range": "bytes=0-3"})
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 206 and resp.read() == b"GGUF"
        assert resp.headers["Content-Range"] == f"bytes 0-3/{f.size}"
    req = urllib.request.Request(url, headers={"Range": "bytes=-16"})
    with urllib.request.urlopen(req) as resp:
        assert resp.read() == f.read(f.size - 16, 16)


def test_corrupted_bytes_do_not_match_the_lfs_sha(
    api: HfApi, hub: LocalHub, tmp_path: Path
) -> None:
    f = hub.repos[REPO].files["synth-llama-Q4_K_M.gguf"]
    hub.faults.corrupt.add(f"{REPO}/synth-llama-Q4_K_M.gguf")
    try:
        path = hf_hub_download(
            REPO,
            "synth-llama-Q4_K_M.gguf",
            endpoint=hub.url,
            cache_dir=tmp_path,
            force_download=True,
        )
        got = sha256(path)
    except Exception as exc:  # a huggingface_hub that verifies the hash itself is fine too
        assert "sha" in str(exc).lower() or "checksum" in str(exc).lower()
        return
    assert got != f.sha256 and Path(path).stat().st_size == f.size


def test_slow_answers(api: HfApi, hub: LocalHub) -> None:
    hub.faults.delay_s = 0.3
    start = time.perf_counter()
    api.model_info(REPO)
    assert time.perf_counter() - start >= 0.3


def test_hf_endpoint_environment_variable_is_enough(hub: LocalHub, tmp_path: Path) -> None:
    code = (
        "from huggingface_hub import hf_hub_download; "
        f"print(hf_hub_download({REPO!r}, 'config.json', cache_dir={str(tmp_path)!r}))"
    )
    env = {**os.environ, "HF_ENDPOINT": hub.url}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).read_text().startswith('{"model_type"')


def test_python_m_entry_serves_the_demo_repos(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.localhub", "--folder", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert HfApi(endpoint=url).model_info(REPO).id == REPO
    finally:
        proc.terminate()
        proc.wait(timeout=10)

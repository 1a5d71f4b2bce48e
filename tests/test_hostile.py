"""Hostile models and repositories: file names that climb out of the cache, headers that ask for
millions of layers or gigabytes of arrays, impossible shard sets, racing downloads and a damaged
synthetic cache. Each failure must be one clear UserError line, fast and small.

The metadata fuzzer runs a few hundred inputs here; run more by hand (about 3 min for 20,000):

    .venv/bin/python -c "from tests.test_hostile import fuzz_model_spec as f; print(f(20000, 1))"
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import os
import random
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bench.localhub import LocalHub
from bench.model import (
    GGUFError,
    ModelSpec,
    SynthSpec,
    _download,
    _hub,
    _synthetic,
    model_spec,
    read_header,
    read_local,
    resolve_model,
    synthesize,
)
from bench.model._spec import FileFact
from probe.errors import UserError

MiB = 1 << 20
COMMIT = "c" * 40


def one_line(err: UserError) -> str:
    assert "\n" not in err.message and len(err.message) < 600, err.message
    return err.message


# -- 1. file names from the hub never leave the cache ------------------------------------------

HOSTILE_NAMES = [
    "/etc/x-Q4_0.gguf",
    "../x-Q4_0.gguf",
    f"../../../models--other--repo/snapshots/{COMMIT}/y-Q4_0.gguf",
    "a/../../x-Q4_0.gguf",
    "a\\..\\x-Q4_0.gguf",
    "x\x00-Q4_0.gguf",
    "x\n-Q4_0.gguf",
    "a//x-Q4_0.gguf",
    "./x-Q4_0.gguf",
    "a/",
    "",
    "a" * 256 + "-Q4_0.gguf",
    "/".join(["abcdefgh"] * 120) + "-Q4_0.gguf",  # 1,080 bytes
    "\u2024\u2024/x-Q4_0.gguf",  # one dot leader, twice: ".." after NFKC
    "\uff0e\uff0e/x-Q4_0.gguf",  # fullwidth full stops
    "..\u2215x-Q4_0.gguf",  # division slash
    "%2e%2e%2fx-Q4_0.gguf",
    "C:x-Q4_0.gguf",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_refused_in_one_line(name: str) -> None:
    with pytest.raises(UserError) as err:
        _download.snapshot_path("evil/repo", COMMIT, name)
    assert one_line(err.value).startswith("refusing the file name")
    assert _hub.unsafe_name(name) is not None


@pytest.mark.parametrize("name", ["x-Q4_0.gguf", "Q8_0/x-Q8_0-00001-of-00002.gguf", "a b/é.gguf"])
def test_plain_names_are_paths_in_the_snapshot(name: str) -> None:
    path = _download.snapshot_path("org/repo", COMMIT, name)
    snap = _download.cache_root() / "models--org--repo" / "snapshots" / COMMIT
    assert path == snap / name


@pytest.mark.parametrize("commit", ["../../x", "a/b", "..", "", "\x00"])
def test_hostile_commits_are_refused(commit: str) -> None:
    with pytest.raises(UserError, match="refusing the"):
        _download.snapshot_path("org/repo", commit, "x-Q4_0.gguf")


def _victim_and_blob(root: Path) -> tuple[Path, FileFact, bytes]:
    """Another repo's snapshot file, and an attacker repo whose blob is already cached (so the
    download goes straight to linking, no network)."""
    victim = root / "models--other--repo" / "snapshots" / COMMIT / "y-Q4_0.gguf"
    victim.parent.mkdir(parents=True)
    victim.write_bytes(b"GGUF victim")
    data = b"GGUF attacker's bytes"
    sha = hashlib.sha256(data).hexdigest()
    blob = root / "models--evil--repo" / "blobs" / sha
    blob.parent.mkdir(parents=True)
    blob.write_bytes(data)
    return victim, FileFact("", len(data), sha), data


@pytest.mark.parametrize(
    "name",
    [f"../../../models--other--repo/snapshots/{COMMIT}/y-Q4_0.gguf", "ABSOLUTE"],
)
def test_a_download_cannot_repoint_another_repos_snapshot(name: str, tmp_path: Path) -> None:
    root = tmp_path / "hub"
    with mock.patch.dict(os.environ, {"HF_HUB_CACHE": str(root)}):
        victim, fact, _ = _victim_and_blob(root)
        name = str(victim) if name == "ABSOLUTE" else name
        with pytest.raises(UserError, match="refusing the file name"):
            _download.download("evil/repo", COMMIT, (dataclasses.replace(fact, name=name),))
    assert not victim.is_symlink() and victim.read_bytes() == b"GGUF victim"


_PIECES = st.sampled_from(
    [
        "a",
        "x-Q4_0.gguf",
        ".",
        "..",
        "...",
        "/",
        "\\",
        "\x00",
        "\n",
        "\u2024",
        "\uff0e",
        "\u2215",
        "\uff0f",
        "%2e%2e%2f",
        "%2e",
        "%2f",
        "C:",
        "~",
        " ",
        "é",
        "a" * 200,
        "models--other--repo",
        "snapshots",
        COMMIT,
    ]
)
_NAMES = st.one_of(
    st.lists(_PIECES, min_size=1, max_size=10).map("".join),
    st.text(max_size=40),
    st.tuples(st.sampled_from(["/", "../", "../../../", "a/../"]), st.text(max_size=20)).map(
        "".join
    ),
)


def _tree(root: Path) -> dict[str, bytes | str]:
    out: dict[str, bytes | str] = {}
    for p in sorted(root.rglob("*")):
        if p.is_symlink():
            out[str(p)] = "-> " + os.readlink(p)
        elif p.is_file():
            out[str(p)] = p.read_bytes()
    return out


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(name=_NAMES)
@example(name="a" * 255)  # the longest segment: its temporary link name must still fit
@example(name=f"../../../models--other--repo/snapshots/{COMMIT}/y-Q4_0.gguf")
def test_property_no_name_writes_outside_its_snapshot(name: str) -> None:
    """Any name: refused with a UserError, or linked inside the attacker repo's snapshot; no file
    outside it (another repo's snapshot, a file beside the cache) is created or changed."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = base / "hub"
        outside = base / "outside" / "canary.gguf"
        outside.parent.mkdir()
        outside.write_bytes(b"canary")
        with mock.patch.dict(os.environ, {"HF_HUB_CACHE": str(root)}):
            _, fact, _ = _victim_and_blob(root)
            fact = dataclasses.replace(fact, name=name)
            before = {k: v for k, v in _tree(base).items() if "models--evil--repo" not in k}
            try:
                (path,) = _download.download("evil/repo", COMMIT, (fact,))
            except UserError as err:
                one_line(err)
            else:
                snap = (root / "models--evil--repo" / "snapshots" / COMMIT).resolve()
                assert path.is_symlink() and path.parent.resolve().is_relative_to(snap)
                assert path.resolve().parent.name == "blobs"
            after = {
                k: v
                for k, v in _tree(base).items()
                if "models--evil--repo" not in k and "/.locks/" not in k
            }
            assert after == before


@pytest.fixture
def endpoint(hub: LocalHub, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalHub]:
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    hub.faults.drop_after.clear()
    hub.faults.corrupt.clear()
    hub.faults.delay_s = 0.0
    yield hub
    hub.faults.delay_s = 0.0  # the hub is shared by the whole session


@pytest.mark.parametrize(
    "name", [f"../../../models--other--repo/snapshots/{COMMIT}/y-Q4_0.gguf", "/tmp/x-Q4_0.gguf"]
)
def test_a_repo_listing_a_hostile_gguf_name_is_refused(endpoint: LocalHub, name: str) -> None:
    repo = f"rigbench-test/hostile-{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    endpoint.add_repo(repo, {"m-Q8_0.gguf": b"GGUF" + bytes(60), name: b"GGUF" + bytes(60)})
    with pytest.raises(UserError) as err:
        _hub.list_ladder(repo)
    assert (
        "not plain relative paths" in one_line(err.value) and repr(name)[:60] in err.value.message
    )
    with pytest.raises(UserError, match="not plain relative paths"):
        resolve_model(repo)


def test_hostile_non_gguf_names_are_ignored() -> None:
    files = [FileFact("m-Q8_0.gguf", 10, "s"), FileFact("../../README.md", 5, None)]
    assert [q.name for q in _hub.ladder_from_files("o/r", COMMIT, files).quants] == ["Q8_0"]


def test_a_hub_sha256_that_is_not_hex_never_names_a_blob() -> None:
    with pytest.raises(UserError, match="not 64 hex digits"):
        _download._blob("o/r", FileFact("x-Q4_0.gguf", 1, "../../../x"))


# -- 2. model-spec limits and the metadata fuzzer ----------------------------------------------

FUZZ_SPEC = SynthSpec(
    arch="qwen3moe",
    n_layer=2,
    n_embd=64,
    n_head=2,
    n_head_kv=1,
    n_ff=0,
    n_vocab=300,
    n_ctx=256,
    n_expert=4,
    n_expert_used=2,
    n_ff_exp=64,
    quant="F16",
)
_FMT = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?"}
_FMT.update({10: "<Q", 11: "<q", 12: "<d"})
_BITS = {0: 8, 1: 8, 2: 16, 3: 16, 4: 32, 5: 32, 10: 64, 11: 64}
INTS = (0, 1, -1, 2, 3, 7, 64, 255, 4096, 4097, 65535, 2**31 - 1, 2**32 - 1, 50_000_000,
        2**63 - 1, -(2**63))  # fmt: skip
FLOATS = (0.0, -0.0, 0.5, 1.0, 3.0, 1e30, -1e30, math.nan, math.inf, -math.inf)
STRINGS = ("", "12", "llama", "\x00", "é" * 10)
_SUFFIXES = (
    "block_count",
    "embedding_length",
    "feed_forward_length",
    "attention.head_count",
    "attention.head_count_kv",
    "attention.key_length",
    "attention.value_length",
    "attention.sliding_window",
    "attention.sliding_window_pattern",
    "attention.kv_lora_rank",
    "expert_count",
    "expert_used_count",
    "expert_feed_forward_length",
    "expert_shared_feed_forward_length",
    "context_length",
    "vocab_size",
    "rope.dimension_count",
)
_OTHER_KEYS = (
    "general.architecture",
    "general.name",
    "general.file_type",
    "general.alignment",
    "tokenizer.ggml.tokens",
)


def _pack(vtype: int, value: Any) -> bytes:
    if vtype == 8:
        raw = value.encode("utf-8", "surrogatepass")
        return struct.pack("<Q", len(raw)) + raw
    if vtype == 9:
        etype, items = value
        return struct.pack("<IQ", etype, len(items)) + b"".join(_pack(etype, v) for v in items)
    if vtype in _BITS:  # wrap any int into the type's range, as a C cast would
        bits = _BITS[vtype]
        value = int(value) % (1 << bits)
        if _FMT[vtype][1].islower() and value >= 1 << (bits - 1):
            value -= 1 << bits
    return struct.pack(_FMT[vtype], value)


def _kv(key: str, vtype: int, value: Any) -> bytes:
    return _pack(8, key) + struct.pack("<I", vtype) + _pack(vtype, value)


@dataclasses.dataclass(frozen=True)
class _Base:
    kvs: dict[str, tuple[int, Any]]  # key -> (GGUF type, value) as the synthetic file has them
    tensor_infos: bytes
    n_tensors: int
    n_layer: int


@cache
def _fuzz_base() -> _Base:
    """The key-values and tensor infos of a tiny synthetic MoE model, to rebuild with edits."""
    import gguf

    path = synthesize(FUZZ_SPEC).path
    reader = gguf.GGUFReader(str(path))
    kvs: dict[str, tuple[int, Any]] = {}
    for key, field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        vtype = int(field.types[0])
        value = field.contents()
        if vtype == 9:
            value = (int(field.types[-1]), value)
        kvs[key] = (vtype, value)
    start = reader.tensors[0].field.offset
    infos = path.read_bytes()[start : reader.data_offset]
    return _Base(kvs, infos, len(reader.tensors), FUZZ_SPEC.n_layer)


def _header(base: _Base, kvs: dict[str, tuple[int, Any]]) -> bytes:
    body = b"".join(_kv(k, t, v) for k, (t, v) in kvs.items())
    return b"GGUF" + struct.pack("<IQQ", 3, base.n_tensors, len(kvs)) + body + base.tensor_infos


def _slice(data: bytes, offset: int, size: int) -> bytes:
    return data[offset : offset + size]


def _random_value(rng: random.Random, n_layer: int) -> tuple[int, Any]:
    kind = rng.choice(("int", "int", "int", "float", "bool", "str", "array"))
    if kind == "int":
        n = rng.choice(INTS) if rng.random() < 0.8 else rng.randint(-(10**6), 10**6)
        return rng.choice(tuple(_BITS)), n
    if kind == "float":
        x = rng.choice(FLOATS)
        return (12 if abs(x) > 1e38 and math.isfinite(x) else rng.choice((6, 12))), x
    if kind == "bool":
        return 7, rng.random() < 0.5
    if kind == "str":
        return 8, rng.choice(STRINGS)
    n = rng.choice((0, 1, n_layer - 1, n_layer, n_layer + 1, 64, 65, 300, 5000))
    etype = rng.choice((0, 4, 5, 6, 7, 10, 11, 8, 9))
    if etype == 9:
        return 9, (9, [(4, [rng.choice(INTS) for _ in range(2)]) for _ in range(min(n, 70))])
    if etype == 8:
        return 9, (8, [rng.choice(STRINGS) for _ in range(n)])
    if etype in (6,):
        return 9, (6, [rng.choice(FLOATS[:7]) for _ in range(n)])
    if etype == 7:
        return 9, (7, [rng.random() < 0.5 for _ in range(n)])
    return 9, (etype, [rng.choice(INTS) if rng.random() < 0.5 else n_layer for _ in range(n)])


@dataclasses.dataclass(frozen=True)
class FuzzReport:
    inputs: int
    specs: int  # inputs that gave a ModelSpec
    refused: int  # inputs refused with a UserError
    crashes: tuple[str, ...]  # anything else: the bug to fix
    max_seconds: float
    peak_bytes: int  # tracemalloc peak over the run
    seconds: float


def fuzz_model_spec(n: int, seed: int) -> FuzzReport:
    """Rebuild a tiny valid header ``n`` times with one to three metadata values replaced (counts,
    widths, head and expert numbers, the architecture, the vocabulary) by hostile ones of any
    GGUF type, or removed; each must give a ModelSpec (that serialises) or a UserError."""
    base = _fuzz_base()
    arch = base.kvs["general.architecture"][1]
    keys = [f"{arch}.{s}" for s in _SUFFIXES] + list(_OTHER_KEYS)
    rng = random.Random(seed)
    specs = refused = 0
    crashes: list[str] = []
    slowest = 0.0
    tracemalloc.start()
    start = time.perf_counter()
    try:
        for _ in range(n):
            kvs = dict(base.kvs)
            edits = []
            for _ in range(rng.randint(1, 3)):
                key = rng.choice(keys)
                if rng.random() < 0.15:
                    kvs.pop(key, None)
                    edits.append(f"{key}: removed")
                else:
                    kvs[key] = _random_value(rng, base.n_layer)
                    edits.append(f"{key} = {str(kvs[key])[:80]}")
            data = _header(base, kvs)
            t0 = time.perf_counter()
            try:
                h = read_header(functools.partial(_slice, data), None, "fuzz.gguf")
                spec = model_spec([h], [], "fuzz.gguf")
                json.dumps(spec.to_dict())
                specs += 1
            except UserError as err:
                refused += 1
                if "\n" in err.message or len(err.message) > 600:
                    crashes.append(f"long message {err.message[:200]!r} after {'; '.join(edits)}")
            except Exception as exc:
                crashes.append(f"{type(exc).__name__}: {exc} after {'; '.join(edits)}")
            slowest = max(slowest, time.perf_counter() - t0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return FuzzReport(n, specs, refused, tuple(crashes), slowest, peak, time.perf_counter() - start)


def test_fuzz_model_spec_a_few_hundred_inputs() -> None:
    report = fuzz_model_spec(400, seed=12)
    assert report.crashes == (), "\n".join(report.crashes[:5])
    assert report.specs > 20 and report.refused > 100  # both outcomes are exercised
    assert report.max_seconds < 2.0
    assert report.peak_bytes < 64 * MiB


def test_the_fuzz_base_is_a_valid_model() -> None:
    base = _fuzz_base()
    data = _header(base, base.kvs)
    h = read_header(lambda o, k: data[o : o + k], None, "base")
    spec = model_spec([h], [], "base")
    assert (spec.n_layer, spec.n_expert, spec.n_embd) == (2, 4, 64)


@pytest.fixture(scope="module")
def tiny(session_env: pytest.MonkeyPatch) -> Path:
    return synthesize(FUZZ_SPEC).path


def _spec_with(path: Path, **changes: Any) -> ModelSpec:
    h = read_local(path)
    meta = {**h.metadata, **{k.replace("__", "."): v for k, v in changes.items()}}
    return model_spec([dataclasses.replace(h, metadata=meta)], [], "m.gguf")


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("qwen3moe.block_count", 50_000_000, "block_count is 50000000, outside 1…4096"),
        ("qwen3moe.block_count", 2**32 - 1, "outside 1…4096"),
        ("qwen3moe.block_count", 0, "block_count is 0, outside 1…4096"),
        ("qwen3moe.block_count", 3, "is 3, but the tensors hold 2"),
        ("qwen3moe.block_count", 2.5, "not a whole number"),
        ("qwen3moe.block_count", "2", "is str, not a number"),
        ("qwen3moe.embedding_length", 0, "embedding_length is 0"),
        ("qwen3moe.embedding_length", -64, "embedding_length is -64"),
        ("qwen3moe.embedding_length", 1 << 40, "outside 1…1048576"),
        ("qwen3moe.attention.head_count", -1, "head_count is -1"),
        ("qwen3moe.attention.head_count", 1 << 40, "head_count is 1099511627776"),
        ("qwen3moe.attention.head_count_kv", [1, 1, 1], "has 3 entries for 2 layers"),
        ("qwen3moe.expert_count", 1 << 20, "expert_count is 1048576"),
        ("qwen3moe.expert_used_count", 5, "expert_used_count is 5, outside 0…4"),
        ("qwen3moe.feed_forward_length", math.nan, "not a whole number"),
        ("qwen3moe.context_length", -5, "context_length is -5"),
        ("general.architecture", 7, "general.architecture is '7', not a name"),
    ],
)
def test_hostile_counts_are_one_clear_line(tiny: Path, key: str, value: Any, words: str) -> None:
    start = time.perf_counter()
    with pytest.raises(UserError) as err:
        _spec_with(tiny, **{key.replace(".", "__"): value})
    assert words in one_line(err.value) and key in err.value.message
    assert time.perf_counter() - start < 1.0


# -- 3. the header reader stays compact and bounded --------------------------------------------


def _hostile_file(path: Path, kvs: list[bytes]) -> Path:
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(kvs)) + b"".join(kvs))
    return path


_CHILD = """
import json, resource, sys, time
from pathlib import Path
from bench.model import read_local
from probe.errors import UserError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
try:
    out = {"length": len(read_local(Path(sys.argv[1])).metadata["x"])}
except UserError as exc:
    out = {"error": exc.message}
out["seconds"] = time.perf_counter() - start
out["growth_bytes"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
print(json.dumps(out))
"""


def _read_in_child(path: Path) -> dict[str, Any]:
    """read_local in a fresh process: its peak RSS growth (Linux ru_maxrss, KiB) and seconds."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path)], capture_output=True, text=True, check=True
    )
    return dict(json.loads(done.stdout))


def test_a_big_uint8_array_costs_its_bytes_not_python_ints(tmp_path: Path) -> None:
    n = 32 * MiB
    f = _hostile_file(tmp_path / "u8.gguf", [_pack(8, "x") + struct.pack("<IIQ", 9, 0, n)])
    with f.open("ab") as fh:
        fh.truncate(f.stat().st_size + n)  # a sparse 32 MiB of zeros
    got = _read_in_child(f)
    assert got["length"] == n
    # Was ~17 bytes per element (a tuple and a list of ints): 550 MB and 1.7 s here.
    assert got["growth_bytes"] < 2.5 * n and got["seconds"] < 1.0


def test_many_short_strings_are_counted_not_kept(tmp_path: Path) -> None:
    n = 1 << 21
    body = _pack(8, "x") + struct.pack("<IIQ", 9, 8, n) + _pack(8, "ab") * n
    got = _read_in_child(_hostile_file(tmp_path / "s.gguf", [body]))
    assert got["length"] == n
    assert got["growth_bytes"] < 48 * MiB and got["seconds"] < 3.0  # was ~60 bytes per string


@pytest.mark.parametrize(("etype", "words"), [(9, "arrays inside arrays"), (8, "strings inside")])
def test_too_many_small_items_are_refused_at_once(tmp_path: Path, etype: int, words: str) -> None:
    n = 4_000_000  # 48 MB of empty arrays, or 32 MB of empty strings
    item = struct.pack("<IQ", 4, 0) if etype == 9 else struct.pack("<Q", 0)
    body = _pack(8, "x") + struct.pack("<IIQ", 9, etype, n) + item * n
    f = _hostile_file(tmp_path / "a.gguf", [body])
    start = time.perf_counter()
    with pytest.raises(GGUFError) as err:
        read_local(f)
    assert words in one_line(err.value) and time.perf_counter() - start < 0.5


def test_a_remote_header_never_fetches_more_than_64_mib(endpoint: LocalHub, tmp_path: Path) -> None:
    """Seventy 1 MiB strings: each is legal, together past the bound; the read stops there."""
    f = tmp_path / "long-Q8_0.gguf"
    with f.open("wb") as fh:
        fh.write(b"GGUF" + struct.pack("<IQQ", 3, 0, 70))
        for i in range(70):
            fh.write(_pack(8, f"k{i}") + struct.pack("<IQ", 8, MiB))
            fh.seek(MiB, os.SEEK_CUR)
        fh.truncate()
    hub_file = endpoint.add_repo("rigbench-test/long-header", {f.name: f}).files[f.name]
    endpoint.reset_counters()
    with pytest.raises(UserError) as err:
        _hub.read_remote_header(
            "rigbench-test/long-header", "main", FileFact(f.name, hub_file.size, hub_file.sha256)
        )
    assert "64 MiB" in one_line(err.value)
    assert endpoint.bytes_sent <= 64 * MiB + MiB


# -- 4. shard sets on the hub and on disk -------------------------------------------------------


def _ladder(*names: str) -> _hub.RepoLadder:
    return _hub.ladder_from_files("o/r", COMMIT, [FileFact(n, 10, "a" * 64) for n in names])


@pytest.mark.parametrize(
    ("names", "words"),
    [
        (["x-Q4_0-00001-of-99999.gguf"], "not a valid split (N at most 1024)"),
        (["x-Q4_0-00000-of-00002.gguf", "x-Q4_0-00002-of-00002.gguf"], "not a valid split"),
        (["x-Q4_0-00001-of-00003.gguf", "x-Q4_0-00003-of-00003.gguf"], "1 of its 3 shards"),
        (["x-Q4_0-00001-of-00001.gguf", "x-Q4_0.gguf"], "mixes whole files"),
        (["a-Q4_0-00001-of-00001.gguf", "b-Q4_0-00001-of-00001.gguf"], "2 different split sets"),
    ],
)
def test_an_impossible_shard_set_is_refused(names: list[str], words: str) -> None:
    ladder = _ladder("x-Q8_0.gguf", *names)
    assert [q.name for q in ladder.quants] == ["Q8_0"]
    with pytest.raises(UserError) as err:
        ladder.get("Q4_0")
    assert words in one_line(err.value) and "Q8_0" in (err.value.hint or "")


def test_a_missing_shard_list_names_at_most_three() -> None:
    ladder = _ladder("x-Q4_0-00001-of-01000.gguf", "x-Q4_0-00500-of-01000.gguf")
    with pytest.raises(UserError) as err:
        ladder.get("Q4_0")
    msg = one_line(err.value)
    assert "998 of its 1000 shards are missing" in msg and "and 995 more" in msg
    assert msg.count("-of-01000.gguf") == 3


def test_a_repo_with_only_a_broken_split_says_so(endpoint: LocalHub) -> None:
    endpoint.add_repo("rigbench-test/broken-split", {"x-Q4_0-00001-of-99999.gguf": b"GGUF"})
    with pytest.raises(UserError) as err:
        _hub.list_ladder("rigbench-test/broken-split")
    assert "no usable GGUF quant: Q4_0 cannot be used" in one_line(err.value)


def test_local_shard_count_zero_is_one_line(tmp_path: Path) -> None:
    f = tmp_path / "x-Q4_0-00001-of-00000.gguf"
    f.write_bytes(b"GGUF")
    with pytest.raises(UserError) as err:
        resolve_model(str(f))
    assert "shard 1 of 0 is not a valid split" in one_line(err.value)


# -- 5. two downloads of one file at once -------------------------------------------------------


def test_two_downloads_of_one_file_share_one_blob(endpoint: LocalHub) -> None:
    data = bytes(range(256)) * (16 * 4096)  # 16 MiB
    repo = endpoint.add_repo("rigbench-test/race-GGUF", {"m-Q8_0.gguf": data})
    f = repo.files["m-Q8_0.gguf"]
    fact = FileFact(f.path, f.size, f.sha256)
    endpoint.faults.delay_s = 0.2  # both requests are in flight together
    endpoint.reset_counters()
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = _download.download("rigbench-test/race-GGUF", repo.commit, (fact,))
        except UserError as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(r, list) for r in results), results
    assert results[0] == results[1]
    blobs = list((_download.repo_folder("rigbench-test/race-GGUF") / "blobs").iterdir())
    assert [b.name for b in blobs] == [f.sha256]
    assert _download._sha256(results[0][0]) == f.sha256
    bodies = [r for r in endpoint.requests if r[0] == "GET" and r[1].startswith("/cdn/")]
    assert len(bodies) == 1  # the second waiter reused the finished blob


# -- 6. the synthetic cache is never shared with the user's copy -------------------------------

SYNTH = dataclasses.replace(FUZZ_SPEC, seed=7)


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private model cache: these tests damage cached files on purpose."""
    monkeypatch.setenv("RIGBENCH_CACHE", str(tmp_path / "rigbench"))
    return tmp_path / "rigbench" / "models"


def test_truncating_the_output_copy_leaves_the_cache_intact(
    own_cache: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "m.gguf"
    first = synthesize(SYNTH, out)
    cached = own_cache / SYNTH.file_name()
    size = cached.stat().st_size
    assert not first.cached and out.stat().st_ino != cached.stat().st_ino
    with out.open("r+b") as fh:
        fh.truncate(100)
    again = synthesize(SYNTH, out)
    assert again.cached and cached.stat().st_size == size
    assert out.stat().st_size == size and read_local(out).metadata["general.architecture"]


def test_a_damaged_cache_entry_is_made_again(own_cache: Path) -> None:
    first = synthesize(SYNTH)
    size = first.size_bytes
    with first.path.open("r+b") as fh:
        fh.truncate(size // 2)
    again = synthesize(SYNTH)
    assert not again.cached and again.path.stat().st_size == size
    assert len(read_local(again.path).tensors) == len(_synthetic.tensor_shapes(SYNTH))


def test_a_cache_entry_from_before_records_is_checked_by_its_header(own_cache: Path) -> None:
    first = synthesize(SYNTH)
    record = first.path.with_name(first.path.name + ".json")
    record.unlink()
    assert synthesize(SYNTH).cached and record.exists()  # intact: reused, and now recorded
    record.unlink()
    with first.path.open("r+b") as fh:
        fh.truncate(first.size_bytes - 1)
    assert not synthesize(SYNTH).cached

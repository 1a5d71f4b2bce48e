"""GGUF header reader over any byte source: a local file or HTTP Range requests.

Only the header is read (magic, key-values, tensor infos), never tensor data. Every length in
the file is checked against what is left of a byte budget before anything is allocated, so a
hostile file cannot make the reader allocate without bound or loop forever. Values stay compact:
numeric arrays are numpy arrays over the file's bytes (one byte per uint8, not a Python int),
and arrays of strings or arrays keep their length and first items only (``LongArray``).

Format: ggml docs/gguf.md (v2/v3: 64-bit counts; v1 used 32-bit counts and is rejected).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from probe.errors import UserError

MAGIC = b"GGUF"
# Real headers: ~50 KB to ~15 MB (Gemma 3's 262,144-token vocabulary with scores and types).
# This bounds both where a header may end and how many bytes one read may fetch, so a remote
# plan never downloads more than this per file.
MAX_HEADER_BYTES = 64 * 1024 * 1024
MAX_TENSORS = 1_000_000
MAX_KV = 100_000
# Strings inside arrays, over the whole header: the largest real vocabularies hold ~650 k
# (o200k: 200 k tokens + 446 k merges), and each costs a Python loop step (~0.4 µs) to walk
# past. Arrays of arrays appear in no published GGUF; each costs ~3 µs, so far fewer are allowed.
MAX_ARRAY_STRINGS = 1 << 21
MAX_SUB_ARRAYS = 1 << 16
ARRAY_KEEP = 64  # items kept of an array of strings or arrays; the rest are counted, not kept
MAX_DIMS = 4  # GGML_MAX_DIMS
DEFAULT_ALIGNMENT = 32
DIRECT_READ = 1 << 20  # values at least this long are read straight, not through the window

# GGUF value types (gguf.md) -> (struct format, size); 8 = string, 9 = array.
_SCALARS: dict[int, tuple[str, int]] = {
    0: ("<B", 1),
    1: ("<b", 1),
    2: ("<H", 2),
    3: ("<h", 2),
    4: ("<I", 4),
    5: ("<i", 4),
    6: ("<f", 4),
    7: ("<?", 1),
    10: ("<Q", 8),
    11: ("<q", 8),
    12: ("<d", 8),
}
STRING, ARRAY = 8, 9
# GGUF scalar type -> numpy dtype, for numeric arrays kept as numpy arrays over the raw bytes.
_DTYPES = {t: np.dtype(fmt) for t, (fmt, _) in _SCALARS.items()}
_U64 = struct.Struct("<Q")


class GGUFError(UserError):
    """A file that is not a readable GGUF: one line saying where and why."""

    def __init__(self, message: str, source: str) -> None:
        super().__init__(
            f"{source}: not a valid GGUF file ({message})",
            hint="check the file is a complete .gguf (re-download it); `bench plan` reads GGUF "
            "v2/v3 headers only",
        )


def _type_table() -> dict[int, tuple[str, int, int]]:
    """ggml type id -> (name, block size in elements, bytes per block), from the gguf package."""
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    return {
        t.value: (t.name, *GGML_QUANT_SIZES[t])
        for t in GGMLQuantizationType
        if t in GGML_QUANT_SIZES
    }


GGML_TYPES = _type_table()


def type_name(type_id: int) -> str:
    return GGML_TYPES[type_id][0]


def tensor_nbytes(type_id: int, shape: tuple[int, ...]) -> int:
    """Bytes of a tensor: elements / block size * bytes per block (ggml_nbytes for packed rows)."""
    _, block, size = GGML_TYPES[type_id]
    n = 1
    for d in shape:
        n *= d
    return n // block * size


@dataclass(frozen=True, slots=True)
class LongArray:
    """An array of strings (or of arrays) kept as its length and first ``ARRAY_KEEP`` items:
    a tokenizer's vocabulary is counted, not held as hundreds of thousands of Python strings."""

    count: int
    head: tuple[Any, ...]
    kind: str  # "str" or "array"

    def __len__(self) -> int:
        return self.count


@dataclass(frozen=True, slots=True)
class RawTensor:
    name: str
    type_id: int
    shape: tuple[int, ...]  # ggml ne order: fastest-varying dimension first
    offset: int  # from the start of the tensor data section
    n_bytes: int


@dataclass(frozen=True, slots=True)
class GGUFHeader:
    version: int
    metadata: dict[str, Any]
    tensors: tuple[RawTensor, ...]
    data_offset: int  # where tensor data starts in the file
    header_bytes_read: int
    # Byte length of each large value (tokenizer arrays): lets the other quants of the same
    # model skip them (``read_header(skip=...)``) instead of downloading them again.
    value_spans: dict[str, tuple[int, int]]  # key -> (value type, byte length)


class _Cursor:
    """Reads over a source fetched in growing windows; ``skip`` jumps without fetching.

    At most ``MAX_HEADER_BYTES`` are fetched in all: windows are clamped to what is left, and a
    read that needs more is a GGUFError.
    """

    def __init__(
        self, fetch: Callable[[int, int], bytes], size: int | None, label: str, first_chunk: int
    ) -> None:
        self.fetch, self.size, self.label = fetch, size, label
        self.buf = bytearray()
        self.buf_start = 0  # file offset of buf[0]
        self.pos = 0
        self.chunk = self.first_chunk = first_chunk
        self.fetched = 0
        self.items = {STRING: 0, ARRAY: 0}  # strings and sub-arrays inside arrays so far

    def _check(self, n: int) -> None:
        need = self.pos + n
        if need > MAX_HEADER_BYTES:
            raise GGUFError(f"header larger than {MAX_HEADER_BYTES >> 20} MiB", self.label)
        if self.size is not None and need > self.size:
            raise GGUFError(
                f"truncated header: needs byte {need}, file has {self.size}", self.label
            )

    def _get(self, offset: int, want: int) -> bytes:
        if self.fetched + want > MAX_HEADER_BYTES:
            raise GGUFError(
                f"reading the header needs more than {MAX_HEADER_BYTES >> 20} MiB", self.label
            )
        got = self.fetch(offset, want)
        if not got:
            raise GGUFError(f"truncated header at byte {offset}", self.label)
        self.fetched += len(got)
        return got

    def _ensure(self, n: int) -> None:
        self._check(n)
        need = self.pos + n
        if not self.buf_start <= self.pos <= self.buf_start + len(self.buf):
            self.buf, self.buf_start = bytearray(), self.pos  # after a skip: a new window
            self.chunk = self.first_chunk
        if self.buf_start + len(self.buf) >= need:
            return
        del self.buf[: self.pos - self.buf_start]  # what was read already is not kept
        self.buf_start = self.pos
        while self.buf_start + len(self.buf) < need:
            end = self.buf_start + len(self.buf)
            want = max(self.chunk, need - end)
            want = min(want, max(need - end, MAX_HEADER_BYTES - self.fetched))
            if self.size is not None:
                want = min(want, self.size - end)
            self.buf += self._get(end, want)
            self.chunk = min(self.chunk * 2, 32 * 1024 * 1024)

    def take(self, n: int) -> bytes:
        i = self.pos - self.buf_start
        if n >= DIRECT_READ and not (i >= 0 and i + n <= len(self.buf)):
            return self._take_direct(n)
        self._ensure(n)
        i = self.pos - self.buf_start
        out = bytes(self.buf[i : i + n])
        self.pos += n
        return out

    def _take_direct(self, n: int) -> bytes:
        """One large value (a numeric array) read on its own: no second copy in the window."""
        self._check(n)
        parts = []
        done = 0
        while done < n:
            got = self._get(self.pos + done, n - done)
            parts.append(got[: n - done])
            done += len(parts[-1])
        self.pos += n
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def skip(self, n: int) -> None:
        self.pos += n

    def scalar(self, fmt: str, size: int) -> Any:
        return struct.unpack(fmt, self.take(size))[0]

    def u32(self) -> int:
        return int(self.scalar("<I", 4))

    def u64(self) -> int:
        return int(self.scalar("<Q", 8))

    def _length(self) -> int:
        n = self.u64()
        if n > MAX_HEADER_BYTES:
            raise GGUFError(f"string length {n} at byte {self.pos - 8} is absurd", self.label)
        return n

    def string(self) -> str:
        return self.take(self._length()).decode("utf-8", errors="replace")

    def _pass_strings(self, count: int) -> None:
        """Walk past ``count`` strings without decoding them (a vocabulary's tail)."""
        for _ in range(count):
            self._ensure(8)
            (n,) = _U64.unpack_from(self.buf, self.pos - self.buf_start)
            if n > MAX_HEADER_BYTES:
                raise GGUFError(f"string length {n} at byte {self.pos} is absurd", self.label)
            self.pos += 8
            self._check(n)
            self.pos += n

    def value(self, vtype: int, depth: int = 0) -> Any:
        if vtype in _SCALARS:
            return self.scalar(*_SCALARS[vtype])
        if vtype == STRING:
            return self.string()
        if vtype == ARRAY:
            return self._array(depth)
        raise GGUFError(f"unknown value type {vtype} at byte {self.pos - 4}", self.label)

    def _array(self, depth: int) -> Any:
        if depth > 2:
            raise GGUFError("arrays nested too deep", self.label)
        etype = self.u32()
        count = self.u64()
        if etype not in _SCALARS and etype not in (STRING, ARRAY):
            raise GGUFError(f"unknown array element type {etype}", self.label)
        min_size = _SCALARS[etype][1] if etype in _SCALARS else 8
        if count * min_size > MAX_HEADER_BYTES:
            raise GGUFError(f"array of {count} elements at byte {self.pos} is absurd", self.label)
        if etype in _SCALARS:  # one bulk read, kept as a numpy array over the bytes
            return np.frombuffer(self.take(count * min_size), dtype=_DTYPES[etype])
        self.items[etype] += count
        limit = MAX_ARRAY_STRINGS if etype == STRING else MAX_SUB_ARRAYS
        if self.items[etype] > limit:
            what = "strings" if etype == STRING else "arrays"
            raise GGUFError(f"more than {limit} {what} inside arrays", self.label)
        head = [self.value(etype, depth + 1) for _ in range(min(count, ARRAY_KEEP))]
        if etype == STRING:
            self._pass_strings(count - len(head))
        else:
            for _ in range(count - len(head)):
                self.value(etype, depth + 1)
        if count <= ARRAY_KEEP:
            return head
        return LongArray(count, tuple(head), "str" if etype == STRING else "array")


SPAN_MIN_BYTES = 16 * 1024


class SkipMismatch(Exception):
    """A skip hint did not fit this file: read it whole instead."""


def read_header(
    fetch: Callable[[int, int], bytes],
    size: int | None,
    label: str,
    first_chunk: int = 1024 * 1024,
    skip: dict[str, tuple[int, int]] | None = None,
) -> GGUFHeader:
    """Parse a GGUF header; ``fetch(offset, n)`` returns up to n bytes at offset.

    ``skip`` maps a key to (value type, byte length) from a sibling file (another quant of the
    same model, same tokenizer): that value is jumped over, not fetched, and recorded as
    skipped. The next key must then parse as a key, else SkipMismatch is raised.
    """
    c = _Cursor(fetch, size, label, first_chunk)
    magic = c.take(4)
    if magic != MAGIC:
        raise GGUFError(f"bad magic {magic!r}, expected b'GGUF'", label)
    version = c.u32()
    if version in (1,) or version > 0xFFFF:
        what = "big-endian" if version > 0xFFFF else "v1 (2023, 32-bit counts)"
        raise GGUFError(f"{what} GGUF is not supported", label)
    if version not in (2, 3):
        raise GGUFError(f"unknown GGUF version {version}", label)
    n_tensors, n_kv = c.u64(), c.u64()
    if n_tensors > MAX_TENSORS or n_kv > MAX_KV:
        raise GGUFError(f"absurd counts: {n_tensors} tensors, {n_kv} keys", label)
    metadata: dict[str, Any] = {}
    spans: dict[str, tuple[int, int]] = {}
    skipped = False
    for _ in range(n_kv):
        key = c.string()
        if skipped and (not key or len(key) > 256 or not key.isprintable()):
            raise SkipMismatch(label)
        skipped = False
        vtype = c.u32()
        start = c.pos
        if skip and key in skip and skip[key][0] == vtype:
            c.skip(skip[key][1])
            metadata[key] = f"<skipped: same as sibling, {skip[key][1]} bytes>"
            spans[key] = skip[key]
            skipped = True
            continue
        metadata[key] = c.value(vtype)
        if c.pos - start >= SPAN_MIN_BYTES:
            spans[key] = (vtype, c.pos - start)
    tensors = []
    for _ in range(n_tensors):
        name = c.string()
        n_dims = c.u32()
        if not 1 <= n_dims <= MAX_DIMS:
            raise GGUFError(f"tensor {name!r} has {n_dims} dimensions", label)
        shape = tuple(c.u64() for _ in range(n_dims))
        type_id = c.u32()
        offset = c.u64()
        if type_id not in GGML_TYPES:
            raise GGUFError(f"tensor {name!r} has unknown type {type_id}", label)
        if any(d == 0 or d > 1 << 40 for d in shape):
            raise GGUFError(f"tensor {name!r} has an absurd shape {shape}", label)
        block = GGML_TYPES[type_id][1]
        if shape[0] % block:
            raise GGUFError(
                f"tensor {name!r} rows ({shape[0]}) are not a multiple of "
                f"{type_name(type_id)} blocks ({block})",
                label,
            )
        tensors.append(RawTensor(name, type_id, shape, offset, tensor_nbytes(type_id, shape)))
    alignment = metadata.get("general.alignment", DEFAULT_ALIGNMENT)
    if not isinstance(alignment, int) or alignment <= 0 or alignment & (alignment - 1):
        what = repr(alignment) if isinstance(alignment, (int, float)) else type(alignment).__name__
        raise GGUFError(f"general.alignment {what} is not a power of two", label)
    data_offset = -(-c.pos // alignment) * alignment
    if size is not None:
        for t in tensors:
            if data_offset + t.offset + t.n_bytes > size:
                raise GGUFError(
                    f"tensor {t.name!r} ends at byte {data_offset + t.offset + t.n_bytes}, "
                    f"past the end of the file ({size})",
                    label,
                )
    return GGUFHeader(version, metadata, tuple(tensors), data_offset, c.fetched, spans)


def read_local(path: Path) -> GGUFHeader:
    """The header of a local GGUF file."""
    try:
        f = path.open("rb")
    except OSError as exc:
        raise UserError(
            f"cannot open {path}: {exc.strerror or exc}", hint="check the path to the .gguf file"
        ) from exc
    with f:
        size = path.stat().st_size

        def fetch(offset: int, n: int) -> bytes:
            f.seek(offset)
            return f.read(n)

        return read_header(fetch, size, str(path), first_chunk=256 * 1024)

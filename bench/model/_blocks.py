"""Random tensor payloads written straight in llama.cpp's block formats, so a full-size twin costs
disk speed instead of an F16 copy plus a quantizer pass.

llama.cpp's speed depends on the block layout, not on the values, but every value must be a
normal finite number: each block's scale fields (f16 ``d``/``dmin``, MXFP4's e8m0 exponent) are
set to small normal values; the quant bits are random. Offsets are those of the block structs
in ``ggml/src/ggml-common.h`` (block_q4_0 … block_q6_K, block_iq4_xs, block_mxfp4).
"""

from __future__ import annotations

import numpy as np

from probe.errors import UserError

# type -> (elements per block, bytes per block, byte offsets of f16 scale fields)
BLOCKS: dict[str, tuple[int, int, tuple[int, ...]]] = {
    "Q4_0": (32, 18, (0,)),
    "Q4_1": (32, 20, (0, 2)),
    "Q5_0": (32, 22, (0,)),
    "Q5_1": (32, 24, (0, 2)),
    "Q8_0": (32, 34, (0,)),
    "IQ4_NL": (32, 18, (0,)),
    "MXFP4": (32, 17, ()),  # one e8m0 exponent byte at 0, set apart below
    "Q2_K": (256, 84, (80, 82)),  # scales[16], qs[64], d, dmin
    "Q3_K": (256, 110, (108,)),  # hmask[32], qs[64], scales[12], d
    "Q4_K": (256, 144, (0, 2)),  # d, dmin, scales[12], qs[128]
    "Q5_K": (256, 176, (0, 2)),  # d, dmin, scales[12], qh[32], qs[128]
    "Q6_K": (256, 210, (208,)),  # ql[128], qh[64], scales[16], d
    "IQ4_XS": (256, 136, (0,)),  # d, scales_h, scales_l[4], qs[128]
}
FLOATS = {"F32": np.float32, "F16": np.float16, "BF16": np.uint16}
POOL_BYTES = 1 << 24  # random bytes reused (at rotating offsets) for every tensor
SCALE = np.float16(0.002)  # a normal f16 (its smallest normal is 6.1e-5); block value ~ 1e-2
MXFP4_EXPONENT = 120  # e8m0: 2^(120-127) = 1/128


class Payload:
    """Random bytes for tensors of any type, from one pool, rotated per tensor."""

    def __init__(self, seed: int) -> None:
        self._pool = np.random.default_rng(seed).integers(0, 256, POOL_BYTES, dtype=np.uint8)
        self._offset = 0

    def _bytes(self, n: int) -> np.ndarray:
        start = self._offset % POOL_BYTES
        self._offset += 7919  # a prime stride: neighbouring tensors differ
        reps = -(-(start + n) // POOL_BYTES)
        pool = np.tile(self._pool, reps) if reps > 1 else self._pool
        return np.array(pool[start : start + n])

    def tensor(self, type_name: str, ne: tuple[int, ...]) -> np.ndarray:
        """The tensor's data as bytes (uint8), ``ne`` in ggml order."""
        n = int(np.prod(ne))
        if type_name in FLOATS:
            return self._floats(type_name, n)
        if type_name not in BLOCKS:
            raise UserError(f"cannot write {type_name} blocks", hint=f"types: {', '.join(BLOCKS)}")
        per, size, scales = BLOCKS[type_name]
        if ne[0] % per:
            raise UserError(f"rows of {ne[0]} do not fill {type_name} blocks of {per}")
        blocks = self._bytes(n // per * size).reshape(-1, size)
        for off in scales:
            blocks[:, off : off + 2] = np.frombuffer(SCALE.tobytes(), dtype=np.uint8)
        if type_name == "MXFP4":
            blocks[:, 0] = MXFP4_EXPONENT
        if type_name == "IQ4_XS":
            blocks[:, 2:4] = 0  # scales_h: the 6-bit block scales stay small
        return blocks.reshape(-1)

    def _floats(self, type_name: str, n: int) -> np.ndarray:
        """Values ~ N(0, 0.02) with |x| >= 1e-3: no zeros, denormals, NaN or Inf."""
        raw = self._bytes(4 * n).view(np.uint32)
        x = (raw.astype(np.float32) / 2**32 - 0.5) * 0.04
        x = np.where(np.abs(x) < 1e-3, np.copysign(np.float32(1e-3), x), x).astype(np.float32)
        if type_name == "F32":
            return x.view(np.uint8)
        if type_name == "F16":
            return x.astype(np.float16).view(np.uint8)
        return (x.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)  # bf16: the top half

"""``python -m bench.model._quantize SRC DST FTYPE THREADS``: llama.cpp's quantizer, in its
own process.

Kept out of the caller's process because llama.cpp logs to stderr and aborts on bad input.
"""

from __future__ import annotations

import ctypes
import sys


def main(argv: list[str]) -> int:
    src, dst, ftype, threads = argv
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = int(ftype)
    params.nthread = int(threads)
    rc = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(params))
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

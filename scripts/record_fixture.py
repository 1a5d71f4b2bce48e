#!/usr/bin/env python3
"""Record what `probe detect` reads on this machine into a fixture manifest.

    python scripts/record_fixture.py NAME "one-line description" [--out tests/fixtures]

writes tests/fixtures/NAME/tree.txt (procfs/sysfs files on Linux, sysctl/ioreg output on
macOS) and, where a driver is present, NAME/nvidia-smi.txt and NAME/amd-smi.txt to cross-check
the probe's GPU fields against the vendors' own tools. Review the files for serial numbers
before committing them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from probe._context import ProbeContext
from probe._manifest import record

VENDOR_TOOLS = {
    "nvidia-smi.txt": [
        "nvidia-smi",
        "--query-gpu=name,uuid,memory.total,memory.free,"
        "pcie.link.gen.max,pcie.link.width.max,power.limit,compute_cap",
        "--format=csv",
    ],
    "amd-smi.txt": ["amd-smi", "static", "--asic", "--vram", "--json"],
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name")
    ap.add_argument("description")
    ap.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parent.parent / "tests" / "fixtures"
    )
    args = ap.parse_args()
    ctx = ProbeContext()
    target = args.out / args.name
    target.mkdir(parents=True, exist_ok=True)
    header = [
        args.description,
        f"Recorded by scripts/record_fixture.py on {ctx.system} {ctx.release} {ctx.machine}.",
    ]
    (target / "tree.txt").write_text(record(ctx, header), encoding="utf-8")
    for filename, argv in VENDOR_TOOLS.items():
        if shutil.which(argv[0]):
            done = subprocess.run(argv, capture_output=True, text=True, check=False)
            (target / filename).write_text(done.stdout, encoding="utf-8")
    print(f"wrote {target}/tree.txt", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The llama.cpp engines: find, inspect and build ``llama-bench``; inspect llama-cpp-python.

llama-bench is built from the llama.cpp tree that the llama-cpp-python source distribution
vendors (``vendor/llama.cpp``, with ``tools/llama-bench`` and ``tools/fit-params``), fetched from
PyPI by pip and checked against a pinned sha256. Nothing prebuilt is downloaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.run._cpuflags import host_no_amx_flags
from probe.errors import UserError

SOURCE_PACKAGE = "llama-cpp-python"
SOURCE_VERSION = "0.3.36"
SOURCE_SHA256 = "832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"
# llama-server and llama-batched-bench (issue 17: serving) come from the same tree, commit and
# backend as llama-bench, so a serving figure and a llama-bench figure share one engine.
BUILD_TARGETS = ("llama-bench", "llama-fit-params", "llama-server", "llama-batched-bench")
# cmake switches per backend (llama.cpp docs/build.md).
BACKEND_FLAGS: dict[str, tuple[str, ...]] = {
    "cpu": ("-DGGML_NATIVE=ON",),
    "cuda": ("-DGGML_CUDA=ON",),
    "rocm": ("-DGGML_HIP=ON",),
    "metal": ("-DGGML_METAL=ON",),
    "vulkan": ("-DGGML_VULKAN=ON",),
}
ENV_LLAMA_BENCH = "RIGBENCH_LLAMA_BENCH"
INSPECT_TIMEOUT_S = 30


def rigbench_cache() -> Path:
    from platformdirs import user_cache_dir

    return Path(os.environ.get("RIGBENCH_CACHE") or user_cache_dir("rigbench"))


def cmake_flags(backend: str) -> tuple[str, ...]:
    """The backend's switches, on an AMX host with AMX left out (bench/run/_cpuflags.py)."""
    no_amx = host_no_amx_flags()
    if not no_amx:
        return BACKEND_FLAGS[backend]
    return (*(f for f in BACKEND_FLAGS[backend] if not f.startswith("-DGGML_NATIVE=")), *no_amx)


def build_dir(backend: str) -> Path:
    """Versioned: a new source version, backend or AMX choice never reuses an old build."""
    variant = f"{backend}-noamx" if host_no_amx_flags() else backend
    return rigbench_cache() / "engines" / f"llama.cpp-{SOURCE_PACKAGE}-{SOURCE_VERSION}-{variant}"


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """One engine as found and inspected. ``problem`` is set when it must not be trusted."""

    kind: str
    path: str | None
    found_by: str
    version: str | None = None
    build_number: int | None = None
    build_commit: str | None = None
    backends: tuple[str, ...] = ()
    devices: tuple[str, ...] = ()
    problem: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def find_llama_bench(explicit: str | None = None) -> tuple[Path, str] | None:
    """Discovery order: --llama-bench PATH, $RIGBENCH_LLAMA_BENCH, PATH, rigbench's build cache."""
    if explicit:
        return Path(explicit), "--llama-bench"
    env = os.environ.get(ENV_LLAMA_BENCH)
    if env:
        return Path(env), ENV_LLAMA_BENCH
    on_path = shutil.which("llama-bench")
    if on_path:
        return Path(on_path), "PATH"
    for backend in BACKEND_FLAGS:
        candidate = build_dir(backend) / "bin" / "llama-bench"
        if candidate.is_file():
            return candidate, "rigbench build cache"
    return None


def _beside(llama_bench: Path, name: str) -> Path | None:
    p = llama_bench.parent / name
    return p if p.is_file() else None


def find_llama_server(explicit: str | None = None) -> tuple[Path, str] | None:
    """--llama-server PATH, else the llama-server beside the llama-bench that would be used.

    Beside, not on PATH: a serving figure must come from the same build as the sweep's figures.
    """
    if explicit:
        return Path(explicit), "--llama-server"
    found = find_llama_bench()
    server = _beside(found[0], "llama-server") if found else None
    return (server, f"beside llama-bench ({found[1]})") if server and found else None


def find_batched_bench(llama_server: Path) -> Path | None:
    """llama-batched-bench from the same build as ``llama_server``, if there is one."""
    return _beside(llama_server, "llama-batched-bench")


def fit_params_beside(llama_bench: Path) -> Path | None:
    """llama-fit-params from the same build as ``llama_bench``, if there is one."""
    return _beside(llama_bench, "llama-fit-params")


# llama_print_build_info across llama.cpp builds:
#   b4000-b7xxx:            "version: 6850 (0c1e5709)"
#   0.5.0-dev (late 2026):  "version: 0.5.0-dev (build 1, commit 0c1e570)"
_VERSION_RES = (
    re.compile(
        r"version:\s*(?P<version>\S+)\s*\(build\s+(?P<number>\d+),\s*commit\s+(?P<commit>[^)]+)\)"
    ),
    re.compile(r"version:\s*(?P<number>\d+)\s*\((?P<commit>[^)]*)\)"),
)
_DEVICE_RE = re.compile(r"^\s+(\S+):\s+(.+?)\s*$")


def parse_version(text: str) -> tuple[str, int, str] | None:
    """llama.cpp's build-info line -> (version, build number, commit)."""
    for pattern in _VERSION_RES:
        m = pattern.search(text)
        if m:
            number = int(m.group("number"))
            version = m.groupdict().get("version") or f"b{number}"
            return version, number, m.group("commit").strip()
    return None


def parse_devices(text: str) -> tuple[str, ...]:
    """The lines under ``Available devices:`` of ``llama-bench --list-devices``."""
    lines = text.splitlines()
    try:
        start = next(i for i, ln in enumerate(lines) if ln.strip().startswith("Available devices"))
    except StopIteration:
        return ()
    devices = []
    for ln in lines[start + 1 :]:
        m = _DEVICE_RE.match(ln)
        if not m:
            break
        devices.append(f"{m.group(1)}: {m.group(2)}")
    return tuple(devices)


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, timeout=INSPECT_TIMEOUT_S, check=False
    )


def inspect_llama_bench(path: Path, found_by: str, kind: str = "llama-bench") -> EngineInfo:
    """Ask the binary (llama-bench, or ``kind``: another tool of the same build) for its version
    and devices; any surprise makes it untrusted."""
    if not path.is_file() or not os.access(path, os.X_OK):
        return EngineInfo(kind, str(path), found_by, problem="not an executable file")
    try:
        ver = _run([str(path), "--version"])
        dev = _run([str(path), "--list-devices"])
    except (OSError, subprocess.TimeoutExpired) as exc:
        return EngineInfo(kind, str(path), found_by, problem=f"cannot run: {exc}")
    if ver.returncode < 0 or dev.returncode < 0:
        sig = -min(ver.returncode, dev.returncode)
        return EngineInfo(kind, str(path), found_by, problem=f"crashed (signal {sig})")
    parsed = parse_version(ver.stdout + ver.stderr)
    if parsed is None:
        head = (ver.stdout + ver.stderr).strip().splitlines()[:1]
        return EngineInfo(
            kind,
            str(path),
            found_by,
            problem=f"unknown version output: {head[0][:80] if head else '(nothing)'}",
        )
    devices = parse_devices(dev.stdout + dev.stderr)
    backends = tuple(sorted({d.split(":")[0].rstrip("0123456789").lower() for d in devices}))
    build_info = _read_build_info(path)
    version, number, commit = parsed
    if commit == "unknown" and build_info.get("llama_cpp_commit"):
        commit = build_info["llama_cpp_commit"]
    return EngineInfo(
        kind,
        str(path),
        found_by,
        version=version,
        build_number=number,
        build_commit=commit,
        backends=("cpu", *[b for b in backends if b != "cpu"]),
        devices=devices,
        extra=build_info,
    )


def _read_build_info(binary: Path) -> dict[str, str]:
    f = binary.parent.parent / "build-info.json"
    try:
        data = json.loads(f.read_text())
    except (OSError, ValueError):
        return {}
    return {k: str(v) for k, v in data.items()}


def inspect_llama_cpp_python() -> EngineInfo:
    """The in-process engine: version and the backends its llama.cpp was compiled with."""
    probe_code = (
        "import json, llama_cpp; "
        "print(json.dumps({'version': llama_cpp.__version__, "
        "'gpu_offload': bool(llama_cpp.llama_supports_gpu_offload()), "
        "'system': llama_cpp.llama_print_system_info().decode()}))"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", probe_code],
            capture_output=True,
            text=True,
            timeout=INSPECT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return EngineInfo("llama-cpp-python", None, "import", problem=f"cannot start: {exc}")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return EngineInfo("llama-cpp-python", None, "import", problem=last[:120])
    info = json.loads(done.stdout.strip().splitlines()[-1])
    system = info["system"]
    backends = ["cpu"]
    for name in ("CUDA", "Metal", "Vulkan", "HIP", "SYCL"):
        if re.search(rf"\b{name}\b", system, re.IGNORECASE):
            backends.append(name.lower() if name != "HIP" else "rocm")
    import importlib.util

    spec = importlib.util.find_spec("llama_cpp")
    where = str(Path(spec.origin).parent) if spec and spec.origin else None
    return EngineInfo(
        "llama-cpp-python",
        where,
        "import",
        version=info["version"],
        backends=tuple(backends),
        extra={"system_info": system.strip()},
    )


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fetch_source(log: Callable[[str], None]) -> Path:
    """The llama-cpp-python sdist from PyPI (via pip), sha256-checked, unpacked; its llama.cpp."""
    src_root = rigbench_cache() / "src"
    tree = src_root / f"llama_cpp_python-{SOURCE_VERSION}"
    llama = tree / "vendor" / "llama.cpp"
    if (llama / "tools" / "llama-bench" / "llama-bench.cpp").is_file():
        return llama
    src_root.mkdir(parents=True, exist_ok=True)
    archive = src_root / f"llama_cpp_python-{SOURCE_VERSION}.tar.gz"
    if not archive.exists():
        log(f"downloading {SOURCE_PACKAGE}=={SOURCE_VERSION} source from the package index")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--no-binary",
                ":all:",
                f"{SOURCE_PACKAGE}=={SOURCE_VERSION}",
                "-d",
                str(src_root),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 or not archive.exists():
            errors = [ln for ln in done.stderr.splitlines() if "error" in ln.lower()]
            last = (errors or ["pip failed"])[0].strip()
            raise UserError(
                f"cannot download {SOURCE_PACKAGE}=={SOURCE_VERSION} (llama.cpp source): {last}",
                hint="check access to the package index, or pass --llama-bench PATH",
            )
    digest = _sha256(archive)
    if digest != SOURCE_SHA256:
        archive.unlink()
        raise UserError(
            f"{archive.name} has sha256 {digest[:16]}…, expected {SOURCE_SHA256[:16]}…; deleted it",
            hint="run `bench engines build` again; if it repeats, the package index is serving "
            "a different file",
        )
    log(f"unpacking {archive.name}")
    with tarfile.open(archive) as tar:
        tar.extractall(src_root, filter="data")
    return llama


def llama_cpp_commit(llama_tree: Path) -> str | None:
    """The llama.cpp commit this sdist vendors, from its CHANGELOG entry for SOURCE_VERSION."""
    changelog = llama_tree.parent.parent / "CHANGELOG.md"
    try:
        text = changelog.read_text(encoding="utf-8")
    except OSError:
        return None
    section = text.split(f"## [{SOURCE_VERSION}]", 1)[-1].split("## [", 1)[0]
    m = re.search(r"llama\.cpp@([0-9a-f]{7,40})", section)
    return m.group(1) if m else None


def check_toolchain() -> None:
    missing = [tool for tool in ("cmake",) if shutil.which(tool) is None]
    if not any(shutil.which(cc) for cc in ("c++", "g++", "clang++")):
        missing.append("a C++ compiler")
    if missing:
        raise UserError(
            f"cannot build llama-bench: {' and '.join(missing)} not found",
            hint="install them (Debian/Ubuntu: apt-get install cmake g++; macOS: xcode-select "
            "--install && brew install cmake), then run: bench engines build",
        )


def build_llama_bench(
    backend: str, jobs: int | None = None, log: Callable[[str], None] = lambda _: None
) -> Path:
    """Configure and build BUILD_TARGETS (llama-bench, llama-fit-params, llama-server,
    llama-batched-bench); return llama-bench's path."""
    if backend not in BACKEND_FLAGS:
        raise UserError(
            f"unknown backend {backend!r}; choose one of {', '.join(BACKEND_FLAGS)}",
            hint="bench engines build --backend cpu",
        )
    check_toolchain()
    final = build_dir(backend)
    # Complete means every target: a build from before llama-server joined BUILD_TARGETS is
    # rebuilt whole (the work tree is deleted after each build, so there is nothing to resume).
    if all((final / "bin" / t).is_file() for t in BUILD_TARGETS):
        return final / "bin" / "llama-bench"
    source = fetch_source(log)
    commit = llama_cpp_commit(source) or "unknown"
    work = final.with_name(final.name + ".build")
    cmake_args = [
        "cmake",
        "-S",
        str(source),
        "-B",
        str(work),
        "-DCMAKE_BUILD_TYPE=Release",
        "-DBUILD_SHARED_LIBS=OFF",
        "-DLLAMA_CURL=OFF",
        "-DLLAMA_BUILD_TESTS=OFF",
        "-DLLAMA_BUILD_EXAMPLES=OFF",
        "-DLLAMA_BUILD_SERVER=ON",
        # No web UI: assets would come prebuilt from a Hugging Face bucket or need npm, and
        # rigbench downloads nothing prebuilt; no OpenSSL: the server listens on 127.0.0.1.
        "-DLLAMA_BUILD_UI=OFF",
        "-DLLAMA_USE_PREBUILT_UI=OFF",
        "-DLLAMA_OPENSSL=OFF",
        "-DLLAMA_BUILD_TOOLS=ON",
        *cmake_flags(backend),
    ]
    log(f"configuring llama.cpp {commit} for {backend}")
    _step(cmake_args, "cmake configure")
    jobs = jobs or os.cpu_count() or 1
    log(f"compiling {', '.join(BUILD_TARGETS)} with {jobs} jobs (about 15 minutes on 2 cores)")
    _step(["cmake", "--build", str(work), "-j", str(jobs), "--target", *BUILD_TARGETS], "build")
    bin_dir = final.with_name(final.name + ".tmp") / "bin"
    shutil.rmtree(bin_dir.parent, ignore_errors=True)
    bin_dir.mkdir(parents=True)
    for target in BUILD_TARGETS:
        shutil.copy2(work / "bin" / target, bin_dir / target)
    (bin_dir.parent / "build-info.json").write_text(
        json.dumps(
            {
                "source": f"{SOURCE_PACKAGE}=={SOURCE_VERSION}",
                "source_sha256": SOURCE_SHA256,
                "llama_cpp_commit": commit,
                "backend": backend,
                "cmake_args": " ".join(cmake_args),
            },
            indent=2,
        )
    )
    shutil.rmtree(final, ignore_errors=True)
    bin_dir.parent.rename(final)  # atomic: a half-built cache is never found
    shutil.rmtree(work, ignore_errors=True)
    return final / "bin" / "llama-bench"


def _step(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])
        raise UserError(
            f"llama.cpp {what} failed (exit {done.returncode}): {tail[:300]}",
            hint="the full log is reproduced by running the same cmake command by hand; "
            "check the compiler and backend SDK (CUDA/ROCm/Vulkan) are installed",
        )


def default_backend(backends: tuple[str, ...]) -> str:
    """The build backend for a host with these usable llama.cpp backends (from ``probe``)."""
    for b in ("cuda", "rocm", "metal"):
        if b in backends:
            return b
    return "cpu"

"""Shared test fixtures: an isolated home for caches, and recorded machines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from probe import ProbeContext
from probe._manifest import expand, recorded_runner
from tests.fakes.nvml import FakeNVML

FIXTURES = Path(__file__).parent / "fixtures"


def _real_llama_bench() -> str | None:
    """The llama-bench `make install` built, found before the tests isolate HOME and caches."""
    from bench.run import find_llama_bench

    found = find_llama_bench()
    return str(found[0]) if found else None


REAL_LLAMA_BENCH = _real_llama_bench()


def _real_compare_script() -> Path | None:
    """llama.cpp's scripts/compare-llama-bench.py from the source tree the engine was built
    from (found before the tests isolate the caches)."""
    from bench.run import SOURCE_VERSION, rigbench_cache

    p = (
        rigbench_cache()
        / "src"
        / f"llama_cpp_python-{SOURCE_VERSION}"
        / "vendor"
        / "llama.cpp"
        / "scripts"
        / "compare-llama-bench.py"
    )
    return p if p.exists() else None


REAL_COMPARE_SCRIPT = _real_compare_script()


@pytest.fixture(scope="session")
def models_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic-model cache for the whole session: models are made once, not per test."""
    return tmp_path_factory.mktemp("rigbench-cache")


@pytest.fixture(scope="session")
def session_env(models_cache: Path) -> Iterator[pytest.MonkeyPatch]:
    """A MonkeyPatch for session fixtures that need rigbench's cache (e.g. to make models)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("RIGBENCH_CACHE", str(models_cache))
    yield mp
    mp.undo()


@pytest.fixture(scope="session")
def hub(session_env: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The local HF endpoint serving the demo repos (see bench.localhub.demo_repos)."""
    from bench.localhub import LocalHub, demo_repos

    with LocalHub() as h:
        for repo_id, (files, gated) in demo_repos(tmp_path_factory.mktemp("shards")).items():
            h.add_repo(repo_id, files, gated=gated)
        yield h


@pytest.fixture
def llama_bench() -> Path:
    """The llama-bench binary; a missing build fails the test (it is never skipped)."""
    if REAL_LLAMA_BENCH is None:
        pytest.fail("llama-bench is not built: run `make install` (or `bench engines build`)")
    return Path(REAL_LLAMA_BENCH)


# Recorded machine -> (platform.system(), platform.machine()) it was taken on.
MACHINES = {
    "x86-avx512-server": ("Linux", "x86_64"),
    "intel-hybrid-desktop": ("Linux", "x86_64"),
    "arm64-graviton3": ("Linux", "aarch64"),
    "strix-halo-apu": ("Linux", "x86_64"),
    "amd-discrete-desktop": ("Linux", "x86_64"),
    "apple-m3-max": ("Darwin", "arm64"),
}


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, models_cache: Path) -> Path:
    """Point every cache, result and config directory at tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("HF_HOME", str(home / ".cache" / "huggingface"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("RIGBENCH_DEBUG", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("RIGBENCH_CACHE", str(models_cache))
    if REAL_LLAMA_BENCH:
        monkeypatch.setenv("RIGBENCH_LLAMA_BENCH", REAL_LLAMA_BENCH)
    return home


def _no_library(name: str) -> Callable[[], Any]:
    def load() -> Any:
        raise ImportError(f"No module named {name!r}")

    return load


@pytest.fixture
def machine(tmp_path: Path) -> Callable[..., ProbeContext]:
    """``machine("strix-halo-apu", nvml=FakeNVML.load("rtx4090"))`` -> a ProbeContext over the
    recorded tree; vendor libraries default to "not installed" unless a fake is given."""

    def build(
        name: str, nvml: Any = None, amdsmi: Any = None, env: dict[str, str] | None = None
    ) -> ProbeContext:
        root = tmp_path / "machines" / name
        root.mkdir(parents=True)
        commands = expand(FIXTURES / name / "tree.txt", root)
        system, arch = MACHINES[name]
        return ProbeContext(
            root=root,
            system=system,
            machine=arch,
            release="recorded",
            run=recorded_runner(commands),
            load_nvml=(lambda: nvml) if nvml is not None else (lambda: FakeNVML.load("no-driver")),
            load_amdsmi=(lambda: amdsmi) if amdsmi is not None else _no_library("amdsmi"),
            load_pyudev=None,
            env=env or {},
            home=Path("/home/user"),
        )

    return build

"""A scenario fake of the ``pynvml`` module (nvidia-ml-py).

It answers only what its scenario file says; any other call raises AssertionError, so a probe
that starts asking NVML something new fails here instead of passing on a default.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

FIXTURES = Path(__file__).parent.parent / "fixtures" / "nvml"
CODES = {
    "NOT_SUPPORTED": 3,
    "GPU_IS_LOST": 15,
    "LIB_RM_VERSION_MISMATCH": 18,
    "LIBRARY_NOT_FOUND": 12,
    "DRIVER_NOT_LOADED": 9,
    "NO_PERMISSION": 4,
}


class NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(f"NVML error {value}")
        self.value = value


class FakeNVML:
    NVMLError = NVMLError

    def __init__(self, scenario: dict[str, Any]) -> None:
        self._s = scenario
        self._missing = set(scenario.get("missing_functions", []))
        self.calls: list[str] = []
        self.initialised = False

    @classmethod
    def load(cls, name: str) -> FakeNVML:
        return cls(json.loads((FIXTURES / f"{name}.json").read_text()))

    def __getattr__(self, name: str) -> Any:
        if name in self._missing:
            raise AttributeError(name)
        if name.startswith("nvmlDevice"):
            return lambda handle, *args: self._device(name, handle)
        system = {
            "nvmlSystemGetDriverVersion": "driver_version",
            "nvmlSystemGetCudaDriverVersion": "cuda_driver_version",
            "nvmlSystemGetCudaDriverVersion_v2": "cuda_driver_version",
        }
        if name in system:
            return lambda: self._answer(name, self._s[system[name]])
        raise AssertionError(f"fake NVML was not told about {name}")

    def _answer(self, name: str, value: Any) -> Any:
        self.calls.append(name)
        if isinstance(value, str) and value in CODES:
            raise NVMLError(CODES[value])
        if isinstance(value, dict):
            return SimpleNamespace(**value)
        if isinstance(value, list):
            return tuple(value)
        return value

    def _device(self, name: str, handle: int) -> Any:
        assert self.initialised, f"{name} called before nvmlInit"
        gpu = self._s["gpus"][handle]
        if name not in gpu:
            raise AssertionError(f"fake NVML GPU {handle} was not told about {name}")
        return self._answer(name, gpu[name])

    def nvmlInit(self) -> None:
        self.calls.append("nvmlInit")
        if self._s.get("init_error"):
            raise NVMLError(CODES[self._s["init_error"]])
        self.initialised = True

    def nvmlShutdown(self) -> None:
        self.calls.append("nvmlShutdown")
        self.initialised = False

    def nvmlDeviceGetCount(self) -> int:
        assert self.initialised
        return len(self._s["gpus"])

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        assert self.initialised
        if index >= len(self._s["gpus"]):
            raise NVMLError(2)
        return index

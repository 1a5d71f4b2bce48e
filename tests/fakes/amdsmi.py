"""A scenario fake of the ``amdsmi`` module (ROCm 6.2+ Python bindings).

Answers only the calls its scenario names (by function and handle); anything else raises
AssertionError. Values "NOT_SUPPORTED" raise AmdSmiLibraryException, as the library does.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any


class AmdSmiLibraryException(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(f"amdsmi error {code}")
        self.err_code = code


class AmdSmiMemoryType(IntEnum):
    VRAM = 0
    VIS_VRAM = 1
    GTT = 2


class AmdSmiInitFlags(IntEnum):
    INIT_AMD_GPUS = 2


class FakeAmdSmi:
    AmdSmiLibraryException = AmdSmiLibraryException
    AmdSmiMemoryType = AmdSmiMemoryType
    AmdSmiInitFlags = AmdSmiInitFlags

    def __init__(self, gpus: list[dict[str, Any]]) -> None:
        self._gpus = gpus
        self.initialised = False

    def amdsmi_init(self, flags: int) -> None:
        self.initialised = True

    def amdsmi_shut_down(self) -> None:
        self.initialised = False

    def amdsmi_get_processor_handles(self) -> list[int]:
        assert self.initialised
        return list(range(len(self._gpus)))

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("amdsmi_get_"):
            raise AssertionError(f"fake amdsmi was not told about {name}")

        def call(handle: int, *args: Any) -> Any:
            assert self.initialised, f"{name} before amdsmi_init"
            key = name if not args else f"{name}:{args[0].name}"
            gpu = self._gpus[handle]
            if key not in gpu:
                raise AssertionError(f"fake amdsmi GPU {handle} was not told about {key}")
            if gpu[key] == "NOT_SUPPORTED":
                raise AmdSmiLibraryException(2)
            return gpu[key]

        return call

"""Download progress: a tqdm class huggingface_hub drives, drawn as a rich bar on stderr."""

from __future__ import annotations

from typing import Any

from probe.cli_support import stderr_console


def rich_tqdm() -> Any:
    """A tqdm class huggingface_hub can drive, drawing a rich progress bar on stderr."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from tqdm.auto import tqdm

    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=stderr_console(),
        transient=False,
    )

    class RichTqdm(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            if not progress.live.is_started:
                progress.start()
            self._task = progress.add_task(
                str(kwargs.get("desc") or "download"),
                total=kwargs.get("total"),
                completed=kwargs.get("initial", 0),
            )

        def update(self, n: float | None = 1) -> bool | None:
            progress.update(self._task, advance=n or 0)
            return None

        def close(self) -> None:
            progress.refresh()
            super().close()

    return RichTqdm

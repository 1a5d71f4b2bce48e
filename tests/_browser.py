"""Open a self-contained HTML page in headless Chromium, as a reader would: a screenshot, the
URL requests the page itself made, and the DOM after scripts ran. Shared by the report tests."""

from __future__ import annotations

import json
import shutil
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path

import pytest


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.fail("chromium is not installed: `make test` installs it (apt-get install chromium)")
    return path


def png_colors(png: bytes) -> int:
    """Distinct byte values in the decompressed image data: a blank page has very few."""
    data, i = b"", 8
    while i < len(png):
        n = int.from_bytes(png[i : i + 4], "big")
        kind = png[i + 4 : i + 8]
        if kind == b"IDAT":
            data += png[i + 8 : i + 8 + n]
        i += 12 + n
    return len(set(zlib.decompress(data)))


@dataclass(frozen=True)
class Browsed:
    colors: int  # distinct byte values of the screenshot (png_colors); 0: no screenshot
    logged_requests: int  # URL requests in the net log, Chromium's own included
    page_requests: list[str]  # those the page made (not file:, data:, about:)
    dom: str


def browse(page: Path, tmp: Path) -> Browsed:
    netlog, shot = tmp / "net.json", tmp / "shot.png"
    base = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        f"--user-data-dir={tmp / 'profile'}",
        "--window-size=1200,1600",
    ]
    run = {"capture_output": True, "text": True, "timeout": 120, "check": False}
    subprocess.run([*base, f"--screenshot={shot}", f"--log-net-log={netlog}", page.as_uri()], **run)  # type: ignore[call-overload]
    log = json.loads(netlog.read_text())
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    jobs = [
        e["params"] for e in log["events"] if e["type"] == start and "url" in e.get("params", {})
    ]
    # Requests with an origin are the page's: Chromium's own update and time checks carry
    # "not an origin".
    page_requests = [
        j["url"]
        for j in jobs
        if j.get("initiator") != "not an origin"
        and not j["url"].startswith(("file:", "data:", "about:"))
    ]
    dom = subprocess.run([*base, "--dump-dom", page.as_uri()], **run).stdout  # type: ignore[call-overload]
    colors = png_colors(shot.read_bytes()) if shot.exists() else 0
    return Browsed(colors, len(jobs), page_requests, dom)

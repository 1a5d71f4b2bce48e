"""A strict fake of llama-server: ``GET /health`` and streaming ``POST /completion`` only.

Run as ``python -m tests.fakes.llama_server <llama-server flags>``. It accepts exactly the flags
rigbench passes (anything else exits 1, like an unknown argument), and answers only what
rigbench asks: a request without ``"stream": true`` and ``"cache_prompt": false``, with a prompt
that is not a list of token ids, or with unknown fields, gets HTTP 400 and ends the test.

Behaviour from the environment (seconds):
  FAKE_TTFT_S + FAKE_PREFILL_S_PER_TOKEN x prompt length before the first token;
  FAKE_ITL_S between tokens; FAKE_LOAD_S before /health says ok; FAKE_NEVER_HEALTHY=1 keeps it
  loading; FAKE_EXIT_AT_START=N exits N at once (after a log line); FAKE_CRASH_AFTER=N dies
  (os._exit) when request N+1 arrives. Prefills take one shared lock (one machine), as
  llama-server's do. -np bounds concurrent requests: more wait for a slot.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FLAGS_WITH_VALUE = {"-m", "-c", "-np", "--host", "--port", "-ngl", "-fa", "-ctk", "-ctv", "-b",
                    "-ub", "-t", "--n-cpu-moe"}  # fmt: skip
FLAGS_BARE = {"--cont-batching", "--no-webui"}
FIELDS = {"prompt", "n_predict", "stream", "cache_prompt", "ignore_eos", "temperature"}


def parse(argv: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    it = iter(argv)
    for a in it:
        if a in FLAGS_BARE:
            out[a] = "1"
        elif a in FLAGS_WITH_VALUE:
            out[a] = next(it)
        else:
            print(f"error: invalid argument: {a}", file=sys.stderr, flush=True)
            sys.exit(1)
    return out


def env(name: str, default: float = 0.0) -> float:
    return float(os.environ.get(name, default))


class State:
    def __init__(self, slots: int) -> None:
        self.ready_at = time.monotonic() + env("FAKE_LOAD_S")
        self.slots = threading.Semaphore(slots)
        self.prefill = threading.Lock()
        self.count = 0
        self.lock = threading.Lock()


def make_handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt: str, *args: Any) -> None:
            print("srv " + fmt % args, flush=True)

        def _json(self, status: int, obj: Any) -> None:
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path != "/health":
                return self._json(404, {"error": "not found"})
            ok = not os.environ.get("FAKE_NEVER_HEALTHY") and time.monotonic() >= state.ready_at
            self._json(200 if ok else 503, {"status": "ok" if ok else "loading model"})

        def do_POST(self) -> None:
            with state.lock:
                state.count += 1
                if state.count > int(env("FAKE_CRASH_AFTER", 1e9)):
                    os._exit(3)
            req = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            bad = (
                self.path != "/completion"
                or set(req) - FIELDS
                or req.get("stream") is not True
                or req.get("cache_prompt") is not False
                or not isinstance(req.get("prompt"), list)
                or not all(isinstance(t, int) for t in req["prompt"])
            )
            if bad:
                print(f"fake llama-server was not told about: {self.path} {sorted(req)}")
                return self._json(400, {"error": "unexpected request"})
            with state.slots:
                self._stream(req)

        def _stream(self, req: dict[str, Any]) -> None:
            n_prompt, n_gen = len(req["prompt"]), int(req["n_predict"])
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            with state.prefill:  # waiting here is queueing, not prefill
                start = time.perf_counter()
                time.sleep(env("FAKE_TTFT_S") + env("FAKE_PREFILL_S_PER_TOKEN") * n_prompt)
                prompt_ms = (time.perf_counter() - start) * 1e3
            for i in range(n_gen):
                if i:
                    time.sleep(env("FAKE_ITL_S"))
                self._event({"content": "x", "tokens": [100 + i], "stop": False})
            timings = {"prompt_n": n_prompt, "prompt_ms": prompt_ms, "predicted_n": n_gen}
            self._event({"content": "", "stop": True, "tokens_predicted": n_gen,
                         "timings": timings})  # fmt: skip
            self.close_connection = True

        def _event(self, obj: dict[str, Any]) -> None:
            self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            self.wfile.flush()

    return Handler


def main() -> None:
    flags = parse(sys.argv[1:])
    print(f"fake llama-server: model {flags.get('-m')}", flush=True)
    if os.environ.get("FAKE_EXIT_AT_START"):
        print("llama_model_load: error loading model: tensor data is not within bounds", flush=True)
        sys.exit(int(os.environ["FAKE_EXIT_AT_START"]))
    state = State(int(flags.get("-np", "1")))
    server = ThreadingHTTPServer((flags.get("--host", "127.0.0.1"), int(flags["--port"])),
                                 make_handler(state))  # fmt: skip
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()

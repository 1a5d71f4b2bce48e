#!/usr/bin/env bash
# make demo: probe -> plan -> sweep -> summary on synthetic models, offline.
# A local Hugging Face endpoint (bench.localhub) serves synthetic GGUF repos, so the hub path
# (ladder, header-only planning, verified download into the HF cache) runs without a network.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
mkdir -p out
step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
# Exit 2 means "finished, but some results are not trustworthy" (failed points or unstable
# timings on a busy machine): the demo goes on and says so.
sweep() { $BIN/bench sweep "$@" || { rc=$?; [ "$rc" -eq 2 ] || exit "$rc"; echo "(bench sweep exited 2: see its reason above)" >&2; }; }

step "What is in this machine (probe detect --measure)"
$BIN/probe detect --measure --format json --output out/host.json
$BIN/probe show out/host.json

step "llama.cpp engines"
$BIN/bench engines

step "Starting a local Hugging Face endpoint with synthetic GGUF repos"
rm -f out/hub.url
$BIN/python -m bench.localhub --folder out/hub > out/hub.url 2> out/hub.log &
HUB=$!
trap 'kill $HUB 2>/dev/null || true' EXIT
for _ in $(seq 600); do [ -s out/hub.url ] && break; sleep 0.2; done
[ -s out/hub.url ] || { echo "error: the local endpoint did not start (out/hub.log)" >&2; exit 1; }
export HF_ENDPOINT="$(head -n 1 out/hub.url)" HF_HUB_CACHE="$PWD/out/hf-cache"
echo "HF_ENDPOINT=$HF_ENDPOINT" >&2

step "Which quant fits? (bench plan, header-only over HTTP ranges)"
$BIN/bench plan --model rigbench-test/synth-llama-GGUF
step "The same question for a machine you do not own (bench plan --hardware rtx4090)"
$BIN/bench plan --model synth:llama:250M:Q4_K_M --hardware rtx4090 -c 4096

step "Sweep a 250M synthetic model over depth and ubatch (uncalibrated on a fresh database; calibrates this host afterwards)"
sweep --model synth:llama:250M:Q4_K_M --depth 0,512 --ubatch 128,512 -p 256 -n 32 \
  -r 2 --db out/demo.db --report out/report.html

step "Sweep a quant from the hub: download (verified), measure, compare with calibrated predictions"
sweep --model rigbench-test/synth-llama-GGUF:Q4_K_M --depth 0,512 -p 128 -n 32 \
  -r 2 --db out/demo.db

step "The headline model: which quant of unsloth/gpt-oss-20b-GGUF fits here? (the local endpoint serves synthetic twins scaled down to 4 layers: real file names, architecture, tensor names and quant types)"
$BIN/bench plan --model unsloth/gpt-oss-20b-GGUF
step "Sweep the headline model (scaled-down twin: the figures are the twin's, not gpt-oss-20b's)"
export RIGBENCH_DB="$PWD/out/demo.db"  # the literal command below stores into the demo's database
sweep --model unsloth/gpt-oss-20b-GGUF

step "The full-size gpt-oss-20b on machines you do not own (computed from its published shape)"
$BIN/bench plan --model shape:gpt-oss-20b:MXFP4 --hardware rtx3060-12gb -c 32768
$BIN/bench predict --model shape:gpt-oss-20b:MXFP4 --hardware rtx3060-12gb --depth 0,4096

step "Predict a model never measured here, with this host's calibration"
$BIN/bench predict --model synth:llama:500M:Q8_0 --depth 0,1024 --db out/demo.db
step "The measured-vs-predicted report"
$BIN/report --db out/demo.db --format md > out/report.md
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -n "$CHROME" ]; then
  "$CHROME" --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$PWD/out/chrome-profile" \
    --window-size=1200,1800 --screenshot="$PWD/out/report.png" "file://$PWD/out/report.html" \
    >/dev/null 2>&1 || true
fi
echo "report: out/report.html, out/report.md$( [ -f out/report.png ] && echo ', screenshot out/report.png')" >&2
echo "results: out/demo.db (SQLite; its llama_bench table works with llama.cpp's compare script)" >&2

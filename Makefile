# rigbench — `make help` lists the targets.
.DEFAULT_GOAL := help
SHELL := /bin/bash

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The stamp changes when the dependencies do, so a second `make install` is a no-op.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: help install test lint format demo bench clean

help: ## Show this help
	@grep -hE '^[a-z][a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk 'BEGIN {FS = ":.*## "}; {printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP) ## Create .venv and install rigbench with its test tools (fast when done)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip>=23"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

test: install ## Run the test suite
	$(BIN)/python -m pytest

lint: install ## ruff format --check, ruff check and mypy
	$(BIN)/ruff format --check probe bench report tests scripts
	$(BIN)/ruff check probe bench report tests scripts
	$(BIN)/mypy

format: install ## Reformat the code with ruff
	$(BIN)/ruff format probe bench report tests scripts
	$(BIN)/ruff check --fix probe bench report tests scripts

demo: install ## Probe this machine (with measurements) and show the profile
	@mkdir -p out
	$(BIN)/probe detect --measure --format json --output out/host.json
	$(BIN)/probe show out/host.json
	@echo "HostProfile JSON: out/host.json" >&2

bench: install ## Performance goals: probe wall time, measured vs reference bandwidth
	$(BIN)/python scripts/bench_probe.py

clean: ## Remove the virtual environment and outputs
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache *.egg-info

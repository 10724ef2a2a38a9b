# jixiao — quickstart: `make serve`, then `make test`.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
JIXIAO := $(VENV)/bin/jixiao
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha256sum | cut -c1-12)

.PHONY: install build serve test test-fast lint bench chromium java clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	# CPU torch first: otherwise sentence-transformers pulls a multi-GB CUDA build.
	$(PIP) install --quiet "torch==2.13.0"
	$(PIP) install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $@

build: install
	$(JIXIAO) build

serve: build
	$(JIXIAO) serve

# Debian's chromium for the browser tests, and a CJK font so screenshots show Chinese.
chromium:
	@{ command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } && \
	  { fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk"; } || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

# Java 17 for the Spark engines (pyspark), from Debian's packages, only when no java is on PATH.
java:
	@command -v java >/dev/null 2>&1 || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

lint: install
	$(VENV)/bin/ruff check indexer classifier api tests bench

# Everything: unit tests, then slow tests (real encoder, built into a temporary
# models dir once per session), notebooks, fuzzing and the browser tests.
test: build chromium java lint
	$(VENV)/bin/pytest -q

# The unit tier: fake encoder, no built artifacts, no browser, none of the few
# CPU-heavy synthetic tests (under a minute).
test-fast: install lint
	$(VENV)/bin/pytest -q -m "not slow and not heavy"

bench: build
	$(PIP) install --quiet -e ".[dev,bench]"  # the peer stacks of bench_peers.py
	$(PY) bench/run_all.py

clean:
	rm -rf models/corpus.sqlite models/index models/classifier reports test-artifacts

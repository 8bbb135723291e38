# textwash developer commands. Every target sets up what it needs in .venv.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test lint docs docs-screenshot bench fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Runtime install (demo) and test install (test extras) are separate stamps.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(VENV)/.runtime $(VENV)/.docs $@

# The documentation site (mkdocs.yml, docs/): the docs extra only; the test extra includes it.
$(VENV)/.docs: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[docs]'
	touch $(VENV)/.runtime $@

demo: $(VENV)/.runtime
	@mkdir -p build
	$(BIN)/textwash clean examples/sample_dump.txt -o build/sample_dump.clean.txt --summary
	@echo
	@echo "---- first 30 lines of build/sample_dump.clean.txt ----"
	@head -n 30 build/sample_dump.clean.txt
	@echo "----"
	@echo "Every edit, step by step: $(BIN)/textwash clean examples/sample_dump.txt --explain | less -R"
	@echo
	$(BIN)/textwash dedup examples/sample_dump.txt --report build/sample_dump.dup.json --html build/sample_dump.dup.html
	@echo "Repeated passages: build/sample_dump.dup.html (open in a browser), build/sample_dump.dup.json"

# The Redis index tests start Debian's redis-server (tests/redis_server.py): installed here
# when missing and apt-get is there; if it cannot be, those tests skip and say why.
# Debian packages the tests use when they are there: redis-server (a real Redis for
# tests/test_index_redis.py) and zsh (the completion script tried in a real zsh).
TEST_DEBS = redis-server:redis-server zsh:zsh

test: $(VENV)/.test
	@missing=""; for dep in $(TEST_DEBS); do \
	  command -v $${dep%%:*} >/dev/null || missing="$$missing $${dep#*:}"; done; \
	[ -z "$$missing" ] || ! command -v apt-get >/dev/null || { \
	  echo "installing$$missing for the tests" >&2; \
	  { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null 2>&1 || \
	    { apt-get update -qq && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; }; } || \
	  echo "warning: could not install$$missing; the tests that need them will skip" >&2; }
	$(BIN)/ruff check src tests benchmarks fuzz
	$(BIN)/mypy
	$(MKDOCS)
	TEXTWASH_DOCS_BUILT=1 $(BIN)/python -m pytest -n 2 --dist loadfile

# The site is built --strict (mkdocs.yml says so too): a broken link or anchor, a page left
# out of the nav, a generated part that fails (docs/tools/mkdocs_hooks.py) stops the build.
# make test runs the same build after mypy, so pytest need not build it again.
# No --quiet: it hides the warnings from --strict as well, and the build then passes.
MKDOCS = NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d build/site

docs: $(VENV)/.docs
	$(MKDOCS)
	@echo "site: build/site/index.html"

# docs/assets/html-report.png from a real report of the sample, in Debian's headless chromium
docs-screenshot: $(VENV)/.runtime
	$(BIN)/python docs/tools/screenshot.py

lint: $(VENV)/.test
	$(BIN)/ruff check src tests benchmarks fuzz
	$(BIN)/mypy
	$(BIN)/ruff format --check src tests benchmarks fuzz

# BENCH_MB: size of the generated corpus the peer comparison runs on (1000 for 1 GB).
# The peers (rensa, datatrove, text-dedup, data-juicer) are installed from PyPI
# into their own virtual environments under build/peers on the first run.
BENCH_MB ?= 100

$(VENV)/.bench: pyproject.toml $(VENV)/.test
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@

bench: $(VENV)/.bench
	@mkdir -p build/bench
	$(BIN)/python benchmarks/bench_clean.py
	$(BIN)/python benchmarks/bench_minhash.py
	$(BIN)/python benchmarks/bench_dedup_quality.py
	$(BIN)/python benchmarks/bench_no_harm.py --json build/bench/no-harm.json
	$(BIN)/python benchmarks/bench_html.py
	$(BIN)/python benchmarks/bench_peers.py --mb $(BENCH_MB) --json build/bench/peers-$(BENCH_MB)mb.json

# FUZZ_SECONDS per harness (fuzz/): the readers on arbitrary bytes, the pipeline
# and find_duplicates on arbitrary text, and on dump-like text built from the
# bytes (fuzz_dumps.py writes its own seed corpus). Optional; not part of make test.
FUZZ_SECONDS ?= 60

$(VENV)/.fuzz: pyproject.toml $(VENV)/.test
	$(BIN)/python -m pip install -q -e '.[test,fuzz]'
	touch $@

fuzz: $(VENV)/.fuzz
	@mkdir -p build/fuzz/readers build/fuzz/pipeline build/fuzz/dumps
	$(BIN)/python fuzz/fuzz_readers.py build/fuzz/readers -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096
	$(BIN)/python fuzz/fuzz_pipeline.py build/fuzz/pipeline -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096
	$(BIN)/python fuzz/fuzz_dumps.py --make-seeds build/fuzz/dumps-seeds
	$(BIN)/python fuzz/fuzz_dumps.py build/fuzz/dumps build/fuzz/dumps-seeds -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=4096

clean:
	rm -rf $(VENV) build .pytest_cache .hypothesis

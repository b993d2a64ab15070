# The two commands a newcomer needs: `make book` and `make test`.
# Both create/refresh a local virtual environment (.venv) from the pinned lock file first,
# so a fresh clone needs only Python 3.11 and access to the package registry.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONHASHSEED ?= 0
# Read-only inputs (published results, track tables) live beside the checkout.
export CREME_SHARED_DATA ?= $(abspath ..)/shared/data
PYTEST_ARGS ?=
CORES ?= 2
SNAKEMAKE_ARGS ?=

.PHONY: help env test test-fast pipeline book bench clean distclean

help:
	@echo "make test   - set up .venv if needed and run the whole test suite"
	@echo "make book   - set up .venv if needed, run the pipeline (Snakefile) and build the book into _build/html"
	@echo "make pipeline - only the pipeline: results/<model>/ tables and book/_generated/ pages"
	@echo "make bench  - run the benchmarks (creme-nn side by side) and print the ratios"

$(STAMP): requirements/lock.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/python -m pip install --quiet -r requirements/lock.txt 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/python -m pip install --quiet --no-deps -e . 2>&1 | grep -v "is ignored: it is neither" || true
	$(BIN)/python -c "import creme_lib, tensorflow, tensorflow_hub, numba, jupyter_book, torch, borzoi_pytorch, enformer_pytorch" 
	touch $(STAMP)

env: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -m "not slow" $(PYTEST_ARGS)

# The analysis pipeline (Snakefile): every notebook per cell line on the embedded world,
# tables to results/<model>/, pages to book/_generated/, then the full TOC of the book.
pipeline: $(STAMP)
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/snakemake -c$(CORES) $(SNAKEMAKE_ARGS)

# jupyter-cache keys a page on its own source only: clear it when creme_lib changed since the
# last successful build (and Sphinx's doctrees, or it would not re-read unchanged pages), so
# no page shows outputs of older library code.
JCACHE := .jupyter_cache
book: pipeline
	@if [ -d $(JCACHE) ] && { [ ! -f $(JCACHE)/.lib-stamp ] || [ -n "$$(find creme_lib -name '*.py' -newer $(JCACHE)/.lib-stamp | head -n 1)" ]; }; then \
		echo "creme_lib changed since the last book build: re-executing every page"; rm -rf $(JCACHE) _build/.doctrees; fi
	PATH=$(abspath $(BIN)):$$PATH $(BIN)/jupyter-book build -W -n --keep-going --toc book/_generated/_toc.yml .
	mkdir -p $(JCACHE) && touch $(JCACHE)/.lib-stamp

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --no-deps creme-nn==0.2.5 2>&1 | grep -v "is ignored: it is neither" || true
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf _build .pytest_cache .jupyter_cache

distclean: clean
	rm -rf $(VENV) results book/_generated .snakemake .cache

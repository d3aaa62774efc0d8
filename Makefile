# isolearn: the two commands a reader needs are `make book` and `make test`.
# Both create .venv and install the pinned environment on first use (and when the pins change).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: book test lab clean help colab

help:
	@echo "make book   build the website into _build/html (executes every notebook on CPU, offline)"
	@echo "make test   unit tests, then every notebook executed by nbval"
	@echo "make lab    open the notebooks in JupyterLab"
	@echo "make clean  remove _build (the executed-notebook cache with it)"
	@echo "make colab  a replica of Colab's runtime: the install replaces nothing, every chapter passes"

$(STAMP): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# First the chapters run, one per CPU core with one torch thread each, into the build's
# jupyter-cache (_build/.jupyter_cache, book/_ext/execute_chapters.py); the build then takes their
# outputs from the cache and executes only what is missing (a notebook that failed there fails
# here, with its traceback). Then the page weights: fails when the site is over 12 MB or a page
# over 3 MB with its files.
# ISOLEARN_STATIC=1: nobody can click in a built page or a test run, so widgets draw their
# static figure and progress bars print one line (isolearn.runtime.static).
CACHE := _build/.jupyter_cache
book: $(STAMP)
	ISOLEARN_STATIC=1 OMP_NUM_THREADS=1 $(BIN)/python book/_ext/execute_chapters.py $(CACHE)
	ISOLEARN_STATIC=1 OMP_NUM_THREADS=1 $(BIN)/jupyter-book build . -W -n --keep-going
	$(BIN)/python .ci/site/sizes.py _build/html

# Two workers share the 2 cores: the unit tests and the notebooks run side by side, one torch
# thread each (OMP_NUM_THREADS=1), instead of both fighting over both cores.
test: $(STAMP)
	ISOLEARN_STATIC=1 OMP_NUM_THREADS=1 $(BIN)/python -m pytest tests notebooks --nbval-lax -n 2 --dist loadfile -p no:cacheprovider

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks

clean:
	rm -rf _build

# A replica of Google Colab's runtime in _build/colab/venv (Python 3.13, torch 2.11, IPython 7.34,
# ipywidgets 7.7.1 and Colab's other versions; about 5 GB): the notebooks' own install block runs
# there and must replace nothing, then every chapter and explorer must pass. Needs no .venv.
# See tests/colab/replica.py and the README's Colab section.
colab:
	$(PYTHON) tests/colab/replica.py

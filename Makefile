PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export OPENBLAS_NUM_THREADS ?= 1
export MPLBACKEND ?= Agg

.PHONY: demo test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,bench,lint]"
	touch $(STAMP)

demo: $(STAMP)
	$(PY) examples/slides_traces.py
	$(PY) examples/scipy_minimize.py
	$(PY) -m applications.denoising --out results/denoising
	$(PY) -m applications.registration --out results/registration
	$(PY) -m applications.text_classification train --out results/text_classification

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

lint: $(STAMP)
	$(PY) -m ruff check autodiff applications tests examples benchmarks

clean:
	rm -rf $(VENV) results

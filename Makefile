PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-apps
DOCS_STAMP := $(VENV)/.installed-docs
export OPENBLAS_NUM_THREADS ?= 1
export MPLBACKEND ?= Agg

.PHONY: demo test bench lint docs clean

$(VENV)/bin/python:
	@echo ">> creating the virtual environment $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Everything the tests, benchmarks and linter need (the test extra pulls the apps extra).
$(STAMP): pyproject.toml setup.py | $(VENV)/bin/python
	@echo ">> installing autodiff-numpy (editable) with the test, bench and lint extras"
	$(PY) -m pip install --quiet -e ".[test,bench,lint]"
	touch $(STAMP) $(DEMO_STAMP)

# Only what the demo runs: the core (numpy, scipy) and the apps extra.
$(DEMO_STAMP): pyproject.toml setup.py | $(VENV)/bin/python
	@echo ">> installing autodiff-numpy (editable) with the apps extra only:"
	@echo "   numpy, scipy, scikit-image, scikit-learn, matplotlib, tqdm"
	$(PY) -m pip install --quiet -e ".[apps]"
	touch $(DEMO_STAMP)

$(DOCS_STAMP): pyproject.toml setup.py | $(VENV)/bin/python
	@echo ">> installing autodiff-numpy (editable) with the docs extra (Sphinx, numpydoc)"
	$(PY) -m pip install --quiet -e ".[docs]"
	touch $(DOCS_STAMP)

demo: $(DEMO_STAMP)
	@echo ">> removing the previous demo results (results/), the CLIs never overwrite"
	rm -rf results
	@echo ">> examples: the slides' traces, then SciPy's minimize with AD derivatives"
	$(PY) examples/slides_traces.py
	$(PY) examples/scipy_minimize.py
	@echo ">> denoising (writes results/denoising)"
	$(PY) -m applications.denoising --out results/denoising
	@echo ">> segmentation (writes results/segmentation)"
	$(PY) -m applications.segmentation --out results/segmentation
	@echo ">> registration (writes results/registration)"
	$(PY) -m applications.registration --out results/registration
	@echo ">> text classification (writes results/text_classification)"
	$(PY) -m applications.text_classification train --out results/text_classification
	@echo ">> done: see results/"

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

lint: $(STAMP)
	$(PY) -m ruff check autodiff applications tests examples benchmarks docs

# Builds offline: intersphinx is off and the gallery runs the local examples.
docs: $(DOCS_STAMP)
	@echo ">> building the documentation into docs/_build/html"
	$(PY) -m sphinx -b html -q docs docs/_build/html
	@echo ">> open docs/_build/html/index.html"

clean:
	rm -rf $(VENV) results docs/_build docs/api/generated docs/gallery

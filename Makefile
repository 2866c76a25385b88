# The README's commands. Every target installs what it needs first, so each works on
# a fresh machine with Python 3.11+ (and Debian's chromium, which prints the PDF reports
# and runs the browser tests).
PYTHON ?= python3
PIP ?= $(PYTHON) -m pip

.PHONY: setup setup-test demo test test-fast bench lint clean

setup:
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .

setup-test:
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e ".[test,team,cluster]"
	bash scripts/install-chromium.sh

demo: setup
	bash scripts/install-chromium.sh
	service-toolkit demo riverside-demo

test: setup-test
	@set -- notebooks/*.ipynb; if [ -e "$$1" ]; then nbstripout --verify "$$@"; fi
	ruff check .
	ruff format --check .
	$(PYTHON) -m pytest

test-fast:
	$(PYTHON) -m pytest -m "not browser and not slow" -q

bench: setup-test
	$(PYTHON) benchmarks/run.py

lint:
	ruff check .
	ruff format --check .

clean:
	rm -rf riverside-demo build dist *.egg-info .pytest_cache .hypothesis benchmarks/results

# Developer commands. `make run` starts Thonny with this plug-in in an isolated
# user folder; `make test` runs the test suite (it starts its own Xvfb).
PYTHON ?= python3
VENV ?= .venv
THONNY ?= thonny==5.0.1
ESPTOOL ?= esptool>=5
# pytest-xdist workers: most tests wait on virtual boards at their real line rate,
# so three workers fill two cores; JOBS=0 runs everything in one process
JOBS ?= 3
PY := $(VENV)/bin/python
export PYTHONPATH := $(CURDIR)

.PHONY: run test venv bench wheel dist clean

$(VENV)/.installed: requirements-dev.txt setup.cfg
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(THONNY)" "$(ESPTOOL)" -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

run: venv
	$(PY) -m tests.run_thonny $(ARGS)

test: venv
	$(PY) -m pytest -q -n $(JOBS) $(PYTEST_ARGS)

bench: venv
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

wheel: venv
	$(PY) -m build --wheel --outdir dist .

# Release files: the sdist, then the wheel built from that sdist (so the sdist
# is proven complete), both checked as PyPI will render them.
dist: venv
	rm -rf dist build *.egg-info  # a stale egg-info SOURCES.txt would add files to the wheel
	$(PY) -m build --outdir dist .
	$(PY) -m twine check --strict dist/*

clean:
	rm -rf build dist *.egg-info .pytest_cache

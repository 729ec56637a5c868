# Developer commands. `make run` starts Thonny with this plug-in in an isolated
# user folder; `make test` runs the test suite (it starts its own Xvfb).
#
# THONNY picks the Thonny to run and test on, each in its own virtualenv:
#   thonny==5.0.1 (default)      -> .venv
#   THONNY=thonny==4.1.7         -> .venv-thonny4.1.7 (any pip requirement works)
#   THONNY=next                  -> Thonny's development head: the wheels in
#                                   ../shared/thonny-next (NEXT_DIR), minny with it
#   THONNY=path/to/thonny-*.whl  -> that wheel, plus the minny-*.whl beside it
PYTHON ?= python3
THONNY ?= thonny==5.0.1
ESPTOOL ?= esptool>=5
NEXT_DIR ?= ../shared/thonny-next
# pytest-xdist workers: most tests wait on virtual boards at their real line rate,
# so four workers fill two cores (worksteal: no worker idles while another has a queue);
# JOBS=0 runs everything in one process. The tests marked "alone" (they time the virtual
# board's ESP32-speed governor, which needs a quiet host) run afterwards, one at a time.
JOBS ?= 4

ifeq ($(THONNY),next)
THONNY_WHEEL := $(firstword $(wildcard $(NEXT_DIR)/thonny-*.whl))
ifeq ($(THONNY_WHEEL),)
$(error THONNY=next: no thonny-*.whl in $(NEXT_DIR) (set NEXT_DIR to the folder of the wheels))
endif
else ifneq ($(filter %.whl,$(THONNY)),)
THONNY_WHEEL := $(THONNY)
endif

ifdef THONNY_WHEEL
# the development head's Thonny needs minny, which is published only as an old alpha:
# install the minny wheel that lies beside the Thonny wheel
THONNY_PKGS := $(THONNY_WHEEL) $(wildcard $(dir $(THONNY_WHEEL))minny-*.whl)
THONNY_DEPS := $(THONNY_PKGS)
# its wheel does not vendor basedpyright, the language server it completes code with: the
# completion tests take it from the pip package (tests/language_server.py); never the plug-in's
TEST_PKGS := basedpyright
VENV ?= .venv-$(firstword $(subst -py, ,$(notdir $(THONNY_WHEEL))))
# (the wheel smoke test installs the same wheels in its fresh virtualenv: it reads
# their paths from the installed distributions' direct_url.json, so it needs no folder)
else
THONNY_PKGS := $(THONNY)
THONNY_DEPS :=
TEST_PKGS :=
VENV ?= $(if $(filter thonny==5.0.1,$(THONNY)),.venv,.venv-$(subst <,,$(subst >,,$(subst =,,$(subst $(COMMA),_,$(THONNY))))))
endif
COMMA := ,
PY := $(VENV)/bin/python
# `make run`'s Thonny user folder, one per virtualenv (Thonny versions write different settings)
RUN_USER_DIR ?= .run/thonny-user$(subst .venv,,$(notdir $(VENV)))
export PYTHONPATH := $(CURDIR)

.PHONY: run test venv bench wheel dist clean i18n

$(VENV)/.installed: requirements-dev.txt setup.cfg $(THONNY_DEPS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(foreach p,$(THONNY_PKGS),"$(p)") "$(ESPTOOL)" -r requirements-dev.txt $(TEST_PKGS)
# a rebuilt wheel keeps its version number: put its files in anyway
ifdef THONNY_WHEEL
	$(PY) -m pip install -q --force-reinstall --no-deps $(foreach p,$(THONNY_PKGS),"$(p)")
endif
	touch $@

venv: $(VENV)/.installed

run: venv
	$(PY) -m tests.run_thonny --user-dir $(RUN_USER_DIR) $(ARGS)

test: venv
	@rc=0; \
	echo "$(PY) -m pytest -q -n $(JOBS) --dist worksteal $(PYTEST_ARGS)"; \
	ESP32CAM_TESTS_ALONE=later $(PY) -m pytest -q -n $(JOBS) --dist worksteal $(PYTEST_ARGS) || rc=$$?; \
	echo "then the tests marked alone, one at a time:"; \
	ESP32CAM_TESTS_ALONE=only $(PY) -m pytest -q -p no:xdist $(PYTEST_ARGS) || { r=$$?; [ $$r -eq 5 ] || rc=$$r; }; \
	exit $$rc

bench: venv
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done

# Translations (README "Translating"): re-extract every _()/N_()/ngettext() string into the
# template, merge it into each language's catalog, compile the catalogs Thonny reads.
LOCALE := thonnycontrib/esp32cam/locale
BABEL := $(PY) -m babel.messages.frontend
i18n: venv
	$(BABEL) extract --project=thonny-esp32cam --copyright-holder="The thonny-esp32cam authors" \
	  --msgid-bugs-address="https://github.com/thonny-esp32cam/thonny-esp32cam/issues" \
	  -k N_ -k ngettext:1,2 --sort-by-file --width=100 -o $(LOCALE)/thonny_esp32cam.pot thonnycontrib/esp32cam
	$(BABEL) update -D thonny_esp32cam -i $(LOCALE)/thonny_esp32cam.pot -d $(LOCALE) --width=100 --ignore-obsolete
	$(BABEL) compile -D thonny_esp32cam -d $(LOCALE) --statistics

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

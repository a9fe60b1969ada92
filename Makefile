# Two commands do all the set-up (see README): `make run` and `make test`.
#
# Everything installs from uv.lock, the lock file committed beside pyproject.toml: the same versions,
# checked against the same hashes, on every machine and in CI. `--locked` makes uv refuse to go on
# when pyproject.toml and uv.lock disagree, so CI fails instead of resolving something new.
# uv itself is the one tool installed outside the lock: pinned by version and hash in
# scripts/uv-requirements.txt, with the machine's own Python and pip, into .uv/.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV_HOME := .uv
UV := $(UV_HOME)/bin/uv
# uv uses the machine's Python (never downloads one) and keeps the project's environment in .venv.
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
SYNC := $(UV) sync --quiet --locked --python $(PYTHON)

.PHONY: run test lint lock catalogs demo bench-data windows-wheels wheel hub-wheel clean

$(UV): scripts/uv-requirements.txt
	test -x $(UV_HOME)/bin/python || $(PYTHON) -m venv $(UV_HOME)
	$(UV_HOME)/bin/python -m pip install --quiet --require-hashes -r scripts/uv-requirements.txt
	touch $(UV)

# The app and its runtime dependencies only (no hub, no test tools). --inexact leaves alone what
# `make test` installed in the same .venv on a developer's machine; a fresh clone gets the app alone.
run: $(UV)
	$(SYNC) --inexact
	$(BIN)/clinic-tui $(ARGS)

# The lint steps, shared by `make lint` and `make test`: ruff (format and lint), mypy (strict for
# domain/ and sync/; its cache in .mypy_cache keeps a re-run to seconds), import contracts.
define LINT_STEPS
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
endef

# Everything the tests need: the app, the hub, xlsx, the test and lint tools (the `test` extra).
# CI runs `make test`: the lint steps first, then the tests.
test: $(UV)
	$(SYNC) --extra test
	scripts/ensure_test_tools.sh
	$(LINT_STEPS)
	$(BIN)/python -m pytest -x -q -n auto --dist loadfile $(PYTEST_ARGS)

# The lint steps alone.
lint: $(UV)
	$(SYNC) --extra test
	$(LINT_STEPS)

# Upgrade every dependency to its newest release within pyproject.toml's ranges, on purpose.
# Review `git diff uv.lock`, run `make test`, commit both.
lock: $(UV)
	$(UV) lock --upgrade --python $(PYTHON)

# Every runtime dependency of the app has a wheel for Windows (win_amd64) on each supported Python.
windows-wheels: $(UV)
	$(SYNC) --extra test
	$(BIN)/python scripts/check_windows_wheels.py --download

# The wheel a county IT department would install (dist/).
wheel: $(UV)
	$(UV) build --wheel --out-dir dist --python $(PYTHON)

# The hospital server's own wheel (dist/): clinic-hub without the terminal app (hub/pyproject.toml).
hub-wheel: $(UV)
	$(UV) build --wheel --out-dir dist --python $(PYTHON) hub

# Recompile the translation catalogue after editing clinic_tui/locale/zh_CN/LC_MESSAGES/clinic_tui.po
catalogs: $(UV)
	$(SYNC) --extra test
	$(BIN)/python scripts/compile_catalogs.py

# Regenerate local.db.example (deterministic) and the large benchmark database.
demo: $(UV)
	$(SYNC) --extra test
	$(BIN)/python scripts/generate_demo.py --out local.db.example

bench-data: $(UV)
	$(SYNC) --extra test
	$(BIN)/python scripts/generate_demo.py --large --out bench/data/large.db

clean:
	rm -rf $(VENV) $(UV_HOME) build dist *.egg-info

# Two commands do all the set-up (see README): `make run` and `make test`.
# Each creates .venv with everything it needs when it is missing or pyproject.toml changed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint catalogs demo bench-data clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/clinic-tui $(ARGS)

test: $(STAMP)
	scripts/ensure_test_tools.sh
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -x -q -n auto --dist loadfile $(PYTEST_ARGS)

# Recompile the translation catalogue after editing clinic_tui/locale/zh_CN/LC_MESSAGES/clinic_tui.po
catalogs: $(STAMP)
	$(BIN)/python scripts/compile_catalogs.py

# Regenerate local.db.example (deterministic) and the large benchmark database.
demo: $(STAMP)
	$(BIN)/python scripts/generate_demo.py --out local.db.example

bench-data: $(STAMP)
	$(BIN)/python scripts/generate_demo.py --large --out bench/data/large.db

clean:
	rm -rf $(VENV) build *.egg-info

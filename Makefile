# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres lint typecheck migrate bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/dispatch migrate
	$(BIN)/dispatch serve

migrate: $(STAMP)
	$(BIN)/dispatch migrate

# The whole suite on SQLite, then on PostgreSQL when one is reachable
# (DISPATCH_TEST_POSTGRES_URL, default the local `test` database).
test: $(STAMP)
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-sqlite: $(STAMP)
	DISPATCH_TEST_DATABASE=sqlite $(BIN)/python -m pytest -q $(PYTEST_ARGS)

test-postgres: $(STAMP)
	DISPATCH_TEST_DATABASE=postgres $(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench.core --help

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

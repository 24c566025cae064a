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

# -n: one pytest-xdist worker per core (each with its own database).
PYTEST_ARGS ?= -q -n auto -m "not slow"
PG_ADMIN ?= postgresql://postgres@127.0.0.1:5432/postgres

# The whole suite on SQLite, then on PostgreSQL. Outside CI an unreachable PostgreSQL
# is reported and skipped; in CI (CI=true) it fails the run.
test: test-sqlite
	@if $(BIN)/python -c "import psycopg; psycopg.connect('$(PG_ADMIN)', connect_timeout=3).close()" 2>/dev/null; then \
	  $(MAKE) --no-print-directory test-postgres; \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL at $(PG_ADMIN) is unreachable, and CI needs it" >&2; exit 1; \
	else \
	  echo "PostgreSQL at $(PG_ADMIN) is unreachable: skipped the PostgreSQL run"; \
	fi

test-sqlite: $(STAMP)
	DISPATCH_TEST_DATABASE=sqlite $(BIN)/python -m pytest $(PYTEST_ARGS)

# The browser tests' live server runs on its own SQLite database: the SQLite run has them.
test-postgres: $(STAMP)
	DISPATCH_TEST_DATABASE=postgres DISPATCH_TEST_POSTGRES_ADMIN_URL=$(PG_ADMIN) \
	  $(BIN)/python -m pytest $(PYTEST_ARGS) --ignore=tests/browser

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# Core benchmark (needs wrk): make bench BENCH_ARGS="--db postgres --sizes 10000,100000,1000000"
BENCH_ARGS ?= --db sqlite --sizes 10000,100000
bench: $(STAMP)
	$(BIN)/python -m bench.core $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

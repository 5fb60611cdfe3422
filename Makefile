# The two quick-start commands (`make run`, `make test`) each set up what they need.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test bench bench-peer lint ci-postgres clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# Only the dev extras' packages, not the project again: reinstalling it rewrites files that a
# running `make run` watches, and its server would restart under the reader.
$(VENV)/.dev: pyproject.toml | $(VENV)/.runtime
	$(BIN)/python -c 'import subprocess, sys, tomllib; \
		dev = tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["dev"]; \
		subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", *dev])'
	touch $@

## run: set up, load the demo data into SQLite and serve on http://127.0.0.1:$(PORT)/
run: $(VENV)/.runtime
	DJANGO_DEBUG=true $(BIN)/python manage.py migrate --noinput -v0
	DJANGO_DEBUG=true $(BIN)/python manage.py setup_demo
	DJANGO_DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## test: set up and run the whole suite (SQLite unless DATABASE_URL says otherwise)
test: $(VENV)/.dev
	$(BIN)/python -m pytest -n 2 -rs

## bench: the scale benchmark on PostgreSQL (creates, migrates and fills the database as needed)
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/tracker_bench
CLAIMS ?= 1000000
BENCH_OUTPUT ?= bench/results
bench: $(VENV)/.runtime
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py benchmark --claims $(CLAIMS) \
		--output $(BENCH_OUTPUT)

## bench-peer: the benchmark with the claim page beside Datasette's row page (installs
## Datasette in its own environment, .venv-peer, apart from the product's)
PEER := .venv-peer
$(PEER)/bin/datasette:
	$(PYTHON) -m venv $(PEER)
	$(PEER)/bin/pip install --quiet "datasette==0.65.5" sqlite-utils
bench-peer: $(VENV)/.runtime $(PEER)/bin/datasette
	DATABASE_URL=$(BENCH_DATABASE_URL) $(BIN)/python manage.py benchmark --claims $(CLAIMS) \
		--peer-bin $(PEER)/bin

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/bandit -c pyproject.toml -r claims tracker bench --severity-level medium -q

clean:
	rm -rf $(VENV) $(PEER) tracker.sqlite3 staticfiles

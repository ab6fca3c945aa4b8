# Everything a developer runs. `make help` lists the targets.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.DEFAULT_GOAL := help
.PHONY: help install run test lint format bench migrate demo clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) is needed (Python 3.11)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP) ## create .venv and install pinned dependencies (only when pyproject changes)

migrate: install ## apply database migrations
	$(BIN)/python manage.py migrate --noinput

demo: migrate ## load the demo journey, playbooks, teams, customers and history
	$(BIN)/python manage.py seed_demo

run: demo ## web app + Celery worker + beat on http://127.0.0.1:8000 (SQLite + file broker unless DATABASE_URL/CELERY_BROKER_URL)
	DEBUG=$${DEBUG:-true} BIN=$(BIN) bash scripts/run-all.sh

test: install ## the whole suite (PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are set)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install ## ruff lint + format check, and missing migrations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install ## apply ruff fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install ## DESIGN.md §7 benchmarks vs baselines (local PostgreSQL + Redis; BENCH_ARGS=--quick)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean: ## remove the local database, broker files and virtualenv
	rm -rf var $(VENV)

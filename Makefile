# Fluicity: every command a developer needs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DJANGO_SETTINGS_MODULE ?= fluicity.settings.local

.PHONY: help install run test lint format messages makemessages bench bench-provisioning bench-budgets bench-consultations clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Fluicity needs Python 3.11 (set PYTHON=/path/to/python3.11)")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv, install the project and dev tools, compile translations
	@$(BIN)/python scripts/compile_messages.py

run: install ## Start everything locally (embedded PostgreSQL/Redis unless DATABASE_URL/REDIS_URL are set)
	$(BIN)/python -m fluicity.devserver run

test: install ## Run the whole test suite against real PostgreSQL and Redis
	DJANGO_SETTINGS_MODULE=fluicity.settings.test $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install ## ruff, mypy, import-linter contracts, makemigrations --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	# The consistency check against a live database is not the point here (and warns without one).
	DJANGO_SETTINGS_MODULE=fluicity.settings.test $(BIN)/python -W ignore::RuntimeWarning manage.py makemigrations --check --dry-run

format: install ## Format and auto-fix with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

makemessages: install ## Extract translatable strings into locale/*/LC_MESSAGES/django.po (needs GNU gettext)
	$(BIN)/python manage.py makemessages --all --no-obsolete --ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*'

messages: install ## Compile .po catalogues to .mo (pure Python, no gettext needed)
	$(BIN)/python scripts/compile_messages.py

bench: bench-provisioning bench-budgets bench-consultations ## Run every benchmark (prints ratios against a baseline measured in the same run)

bench-provisioning: install ## Provisioning: django-tenants plain vs clone vs our warm pool, no-op migrate (throwaway DB)
	$(BIN)/python benchmarks/bench_provisioning.py $(BENCH_ARGS)

bench-budgets: install ## Participatory budgeting: rules vs pabutools, and ballots/s through the city API (throwaway DB)
	$(BIN)/python benchmarks/bench_budgets.py $(BENCH_ARGS)

bench-consultations: install ## Consultations with 1M contributions: page/search/API p95, creation/s, CSV export memory (throwaway DB)
	$(BIN)/python benchmarks/bench_consultations.py $(BENCH_ARGS)

clean: ## Remove caches (keeps .venv and var/)
	find . -name __pycache__ -prune -not -path './.venv/*' -exec rm -rf {} +
	rm -rf .pytest_cache .mypy_cache .ruff_cache

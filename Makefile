# Developer commands for the crm_campaign_segment addon. The logic lives in
# scripts/devtool.py; `make help` lists the targets, README.md explains them.

PYTHON ?= python3
DB ?= crm_campaign_segment
HTTP_PORT ?= 8069
# extra pytest arguments for `make test`, e.g. TESTS="-k segment -x"
TESTS ?=
# extra Odoo arguments for `make run`, e.g. ODOO_ARGS="-u crm_campaign_segment --dev=all"
ODOO_ARGS ?=
# `make bench` on an existing database instead of a fresh one, and extra arguments
BENCH_DB ?=
BENCH_ARGS ?=

export DB HTTP_PORT TESTS ODOO_ARGS BENCH_DB BENCH_ARGS ODOO_PATH EXTRA_ADDONS_PATH
# where `make run` / `make test` fetch Odoo from when it is missing (see README.md)
export ODOO_GIT_URL ODOO_GIT_REF SKIP_SYSTEM_PACKAGES

ROOT := $(dir $(abspath $(lastword $(MAKEFILE_LIST))))
DEVTOOL = cd "$(ROOT)" && "$(PYTHON)" scripts/devtool.py

.DEFAULT_GOAL := help
.PHONY: help check run test bench reset lint i18n screenshots
.PHONY: doctor setup

help: ## list the targets
	@echo "crm_campaign_segment, an Odoo 18.0 Community addon"
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'
	@echo "Variables: DB=$(DB) HTTP_PORT=$(HTTP_PORT) PYTHON=$(PYTHON) TESTS, ODOO_ARGS, BENCH_DB, ODOO_PATH, PG*"

doctor: ## list each prerequisite: found or missing, version, where it comes from
	@$(DEVTOOL) doctor

setup: ## only set up Odoo 18.0 in .odoo/ when Python has none (make run does it too)
	@$(DEVTOOL) setup

check: ## check the prerequisites (Odoo 18, PostgreSQL, Python requirements)
	@$(DEVTOOL) check

run: ## start Odoo with the addon and its demo data on http://localhost:8069 (admin/admin)
	@$(DEVTOOL) run

test: ## install into a fresh database, run the tests (pytest-odoo, browser tours), drop it
	@$(DEVTOOL) test

bench: ## run bench/bench.py against a fresh database without demo data
	@$(DEVTOOL) bench

reset: ## drop the `make run` database
	@$(DEVTOOL) reset

i18n: ## export i18n/crm_campaign_segment.pot and merge it into every .po file
	@$(DEVTOOL) i18n

lint: ## ruff check, ruff format --check, pylint-odoo with OCA's mandatory checks
	@$(DEVTOOL) lint

screenshots: ## README screenshots of the key screens (demo data, headless Chromium)
	@cd "$(ROOT)" && "$(PYTHON)" scripts/screenshots.py

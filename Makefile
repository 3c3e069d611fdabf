# Flight Control: `make run` starts the control plane locally, `make test` runs every test.
# Each target installs what it needs first (a current Node, node_modules), so both work on a fresh clone.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# A Node fetched by scripts/ensure-node.sh (when the machine's is older than 22.18) wins over the machine's.
export PATH := $(CURDIR)/.tools/node/bin:$(PATH)
export WRANGLER_SEND_METRICS := false
# The local runtime's trace store would keep every request URL (keys passed as ?token= among them) on
# disk under .state/, and its Local Explorer would serve the database to anyone who can reach the port.
export X_LOCAL_OBSERVABILITY := false
export X_LOCAL_EXPLORER := false

PORT ?= 8080
HOST ?= 127.0.0.1
# Workers `make run` starts beside the control plane.
WORKERS ?= 2
STATE := .state
# What `make dev-server` hands wrangler dev: .dev.vars with the environment's ORCH_* settings winning.
DEV_SERVER_ENV := .wrangler/dev-server.env
VITEST_ARGS ?=

NODE := node
# npm's own record of what it installed doubles as our stamp, so an existing install is never redone needlessly.
INSTALLED := node_modules/.package-lock.json
BIN := node_modules/.bin
WRANGLER := $(BIN)/wrangler
# wrangler asks for confirmation on a terminal; CI=true makes it apply without asking.
MIGRATE := CI=true $(WRANGLER) d1 migrations apply DB --local --persist-to $(STATE)

.PHONY: help deps node run dev-server dev-worker dev-ui test typecheck screenshots db-migrate db-revision \
        build up down logs scale-workers clean

help:
	@echo 'make run                 start the control plane on http://$(HOST):$(PORT) and $(WORKERS) workers (PORT=, HOST=, WORKERS= to change)'
	@echo 'make test                run every test'
	@echo 'make dev-server          the control plane alone, building the UI only if it is missing'
	@echo 'make dev-worker          start a worker against the local control plane (ORCH_* to configure)'
	@echo 'make dev-ui              build the UI into ui/dist'
	@echo 'make db-migrate          apply migrations to the local database in $(STATE)/'
	@echo 'make db-revision msg=X   generate a migration from control/src/db/schema.ts'
	@echo 'make typecheck           type-check the whole repo'
	@echo 'make screenshots         photograph the main pages of the dashboard into docs/screenshots/ (for the README)'
	@echo 'make build|up|down|logs  docker compose: build images, start, stop, follow logs'
	@echo 'make scale-workers n=N   docker compose: run N workers'
	@echo 'make clean               remove ui/dist and force a fresh npm ci next time (keeps $(STATE)/, .dev.vars)'

# ---- dependencies -------------------------------------------------------------------------------

deps: $(INSTALLED)

node:
	@scripts/ensure-node.sh

# npm ci again whenever the lockfile changes; `node` is order-only so it runs every time but never forces a reinstall.
$(INSTALLED): package-lock.json | node
	npm ci --no-audit --no-fund
	touch $@

# ---- local control plane ------------------------------------------------------------------------

# Creates .dev.vars (never overwriting it), validates it with the environment's ORCH_* settings winning,
# and brings the local database up to date.
define prepare_server
	$(NODE) scripts/dev-vars.ts
	$(NODE) scripts/check-config.ts
	$(MIGRATE)
endef

# The whole system: the control plane and WORKERS workers, kept up and stopped in order by scripts/run.ts.
run: deps
	$(prepare_server)
	scripts/build-ui.sh
	exec $(NODE) scripts/run.ts --port $(PORT) --host $(HOST) --state $(STATE) --workers $(WORKERS)

dev-server: deps
	$(prepare_server)
	@test -f ui/dist/index.html || scripts/build-ui.sh
	$(NODE) scripts/dev-server-env.ts $(DEV_SERVER_ENV)
	@echo 'Flight Control: http://$(HOST):$(PORT)  (API docs at /docs, state in $(STATE)/; no workers: make dev-worker)'
	exec $(WRANGLER) dev --port $(PORT) --ip $(HOST) --persist-to $(STATE) --env-file $(DEV_SERVER_ENV)

# A worker for the local control plane; ORCH_* variables from the environment win.
dev-worker: deps
	ORCH_SERVER_URL="$${ORCH_SERVER_URL:-http://$(HOST):$(PORT)}" ORCH_API_KEY="$${ORCH_API_KEY:-admin}" \
	  exec $(NODE) node-worker/src/main.ts

dev-ui:
	scripts/build-ui.sh

db-migrate: deps
	$(MIGRATE)

db-revision: deps
	@test -n '$(msg)' || { echo 'usage: make db-revision msg=NAME' >&2; exit 1; }
	$(BIN)/drizzle-kit generate --name '$(msg)'

# ---- checks -------------------------------------------------------------------------------------

# The Worker's [assets] directory (ui/dist) must exist for the workerd-hosted tests to start, and the
# browser tests need chromium (and the command line's completion test zsh).
test: deps
	scripts/ensure-test-tools.sh
	scripts/build-ui.sh
	$(BIN)/vitest run $(VITEST_ARGS)

typecheck: deps
	$(BIN)/tsc --noEmit -p .
	$(BIN)/tsc --noEmit -p ui

# A real control plane, worker and browser, as the browser tests use, seeded with a few jobs and runs.
screenshots: deps
	scripts/ensure-test-tools.sh
	scripts/build-ui.sh
	$(NODE) scripts/screenshots.ts

# ---- containers ---------------------------------------------------------------------------------

build:
	docker compose build

up:
	docker compose up -d --build

down:
	docker compose down

logs:
	docker compose logs -f

scale-workers:
	@test -n '$(n)' || { echo 'usage: make scale-workers n=N' >&2; exit 1; }
	docker compose up -d --no-recreate --scale worker=$(n)

# ---- housekeeping -------------------------------------------------------------------------------

clean:
	rm -rf ui/dist $(INSTALLED)

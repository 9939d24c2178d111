# tierroute: `make run` starts the embedded default, `make test` sets up everything and tests it.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST := $(BIN)/pytest
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help venv testbed system-deps perf-tools lint types imports test test-unit test-crd test-integration \
        test-e2e crds run perf dev-cluster dev-cluster-down clean lock

help:  ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/'

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)  ## create .venv and install tierroute with its dev extra

lock:  ## refresh constraints.txt from a fresh install of the dev and embeddings extras
	rm -rf /tmp/tierroute-lock && $(PYTHON) -m venv /tmp/tierroute-lock
	/tmp/tierroute-lock/bin/pip install --quiet '.[dev,embeddings]'
	/tmp/tierroute-lock/bin/pip freeze --exclude tierroute | grep -v '^-e' > constraints.txt

testbed:  ## build (or reuse from cache) etcd, kube-apiserver, kube-controller-manager, kubectl, helm
	tests/testbed/build.sh

system-deps:  ## install Prometheus and espeak-ng (spoken test audio) from Debian's packages if missing
	@missing=""; command -v prometheus >/dev/null || missing="$$missing prometheus"; \
	command -v espeak-ng >/dev/null || missing="$$missing espeak-ng"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing$$missing from Debian's packages"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing:$$missing: run 'sudo apt-get install$$missing'"; fi; fi

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)  ## mypy --strict on our packages
	$(BIN)/mypy

imports: $(STAMP)  ## import-linter contracts between the planes
	$(BIN)/lint-imports

test-unit: $(STAMP)  ## pure core
	$(PYTEST) tests/unit

test-crd: $(STAMP) testbed  ## CRD generation and the API server's validation of the fixtures
	$(PYTEST) tests/unit/operator/test_crds.py tests/e2e/test_crd_validation.py

test-integration: $(STAMP)  ## real processes over HTTP, no Kubernetes
	$(PYTEST) tests/integration

test-e2e: $(STAMP) testbed system-deps  ## the real test bed and a real Prometheus
	$(PYTEST) tests/e2e

test: $(STAMP) testbed system-deps lint types imports  ## everything CI runs
	$(PYTEST) tests

crds: $(STAMP)  ## regenerate crds/ from the pydantic models
	$(BIN)/tierroute crds --output crds --reference docs/crd-reference.md

run: $(STAMP)  ## the embedded default: simulated providers and the gateway from examples/
	$(BIN)/tierroute run --manifests examples --policy default

perf-tools: $(STAMP)  ## oha (crates.io), the LiteLLM peer (PyPI, own venv), the embeddings extra
	command -v oha >/dev/null || test -x $(HOME)/.cargo/bin/oha || cargo install oha --locked
	test -x .perf-venv/bin/litellm || { $(PYTHON) -m venv .perf-venv && \
	  .perf-venv/bin/pip install --quiet 'litellm[proxy]==1.108.7'; }
	$(BIN)/pip install --quiet -c constraints.txt -e '.[embeddings]'

perf: $(STAMP) testbed perf-tools  ## run every benchmark; results are recorded by hand in perf/RESULTS.md
	export PATH="$(HOME)/.cargo/bin:$$PATH"; \
	for bench in perf/bench_*.py; do echo "== $$bench"; \
	  case $$bench in \
	    *bench_gateway.py) $(BIN)/python $$bench --floor --litellm .perf-venv/bin/litellm ;; \
	    *bench_learned_router.py) echo "(needs a fitted router: see docs/routing-economics.md)" ;; \
	    *) $(BIN)/python $$bench ;; \
	  esac || exit 1; done

dev-cluster: $(STAMP) testbed  ## the whole stack here: test bed, CRDs, operator, examples, simulator, gateway
	$(BIN)/python -m tierroute_operator.controller.dev_cluster up

dev-cluster-down:  ## stop what `make dev-cluster` started
	$(BIN)/python -m tierroute_operator.controller.dev_cluster down

clean:  ## remove the virtualenv and caches (the test bed cache in ~/.cache stays)
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

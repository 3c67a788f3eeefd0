# phenodag: `make demo` and `make test` each create (or reuse) .venv and install the project into it.
# `make dev` serves the demo's home: the Dagster UI (:3000, with the daemon) and the MLflow UI (:5000).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install lock dev clean

# Every package comes from requirements.lock (exact versions and hashes, made by `make lock`);
# the lock is complete, so nothing is resolved (--no-deps) and `pip check` proves it consistent.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

# Regenerate the lock from pyproject.toml with pip-tools (pip-compile sees the local torch build
# through pip's own configuration; uv does not). Python 3.11 on Linux x86-64, the machine CI runs on.
LOCK_VENV := .lock-venv
lock:
	test -x $(LOCK_VENV)/bin/python || $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet pip-tools==7.7.0
	$(LOCK_VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-find-links --extra dev --extra k8s --extra anndata \
	  --output-file requirements.lock pyproject.toml

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/phenodag demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# The suite in two pytest-xdist workers (the whole-graph tests wait on processes much of the time);
# the session's demo runs once, in the first worker that needs it (phenodag_tests/conftest.py).
# The development loop, under 4 minutes on 2 cores: $(BIN)/python -m pytest -m "not e2e and not slow" -n 2
test: lint
	$(BIN)/python -m pytest -n 2

dev: $(STAMP)
	$(BIN)/phenodag init --home $(CURDIR)/.phenodag
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/.phenodag/mlflow.db --host 127.0.0.1 --port 5000 & \
	trap "kill $$!" EXIT; \
	PHENODAG_HOME=$(CURDIR)/.phenodag DAGSTER_HOME=$(CURDIR)/.phenodag/dagster $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf .phenodag

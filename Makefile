# phenodag: `make demo` and `make test` each create (or reuse) .venv and install the project into it.
# `make dev` serves the demo's home: the Dagster UI (:3000, with the daemon) and the MLflow UI (:5000).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install dev clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/phenodag demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

dev: $(STAMP)
	$(BIN)/phenodag init --home $(CURDIR)/.phenodag
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/.phenodag/mlflow.db --host 127.0.0.1 --port 5000 & \
	trap "kill $$!" EXIT; \
	PHENODAG_HOME=$(CURDIR)/.phenodag DAGSTER_HOME=$(CURDIR)/.phenodag/dagster $(BIN)/dagster dev -w workspace.yaml

clean:
	rm -rf .phenodag

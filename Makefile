# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install hebbkit into it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= onnx,train,ray,ros,serial,dev
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
comma := ,
PIP_FLAGS ?= --quiet --disable-pip-version-check

.PHONY: demo test bench lint install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing hebbkit[$(EXTRAS)] into $(VENV) (first run: about a minute)"
	$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip "setuptools>=77" wheel
	$(BIN)/python -m pip install $(PIP_FLAGS) -e ".[$(EXTRAS)]"
	@touch $@

demo: install
	$(BIN)/hebbkit demo

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/runtime_step.py
	$(BIN)/python benchmarks/env_step.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info runs .pytest_cache .ruff_cache

# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install hebbkit into it.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= onnx,train,ray,ros,serial,dev
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
comma := ,
PIP_FLAGS ?= --quiet --disable-pip-version-check

FIRMWARE_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm

.PHONY: demo test bench lint install firmware-toolchain clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing hebbkit[$(EXTRAS)] into $(VENV) (first run: about a minute)"
	$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip "setuptools>=77" wheel
	$(BIN)/python -m pip install $(PIP_FLAGS) -e ".[$(EXTRAS)]"
	@touch $@

demo: install
	$(BIN)/hebbkit demo

test: install firmware-toolchain
	$(BIN)/python -m pytest

# The firmware-in-the-loop tests need an ARM cross compiler and QEMU: installed with apt where we may (root),
# otherwise make stops first and prints the command to run.
firmware-toolchain:
	@if ! command -v arm-none-eabi-gcc >/dev/null || ! command -v qemu-system-arm >/dev/null; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	        echo "installing the firmware toolchain with apt: $(FIRMWARE_PACKAGES) (about a minute)"; \
	        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FIRMWARE_PACKAGES); \
	    else \
	        echo "make test needs the firmware toolchain; run: sudo apt-get install $(FIRMWARE_PACKAGES)" >&2; \
	        exit 1; \
	    fi; \
	fi

bench: install
	$(BIN)/python benchmarks/runtime_step.py
	$(BIN)/python benchmarks/env_step.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) build *.egg-info runs .pytest_cache .ruff_cache

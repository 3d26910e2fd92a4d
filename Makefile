# vidrec: `make lab` opens the tutorial (light install: no torch, no browser driver),
# `make lab-full` adds the offline text model and notebook 06's analysis packages,
# `make test` installs everything the tests need and runs them. See README for Windows.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A folder of wheels made by `make wheelhouse` (for rooms with no Wi-Fi): with it, every
# install below reads only that folder, e.g. `make lab WHEELHOUSE=/media/usb/wheelhouse`.
WHEELHOUSE ?=
PIP_INSTALL = $(BIN)/python -m pip install -q $(if $(WHEELHOUSE),--no-index --find-links "$(abspath $(WHEELHOUSE))")
# What each install adds to the environment.
LAB_REQUIREMENTS ?= -e .
FULL_REQUIREMENTS ?= -e ".[local,analysis]"
TEST_REQUIREMENTS ?= -e ".[dev,local,analysis]"
# torch for the offline text model, from PyTorch's CPU index (Linux, Windows, Apple silicon):
# PyPI's Linux torch is the CUDA build (gigabytes more). Intel Macs have no current torch
# wheel. Override both for a GPU build, e.g. TORCH_INDEX= for PyPI's default build.
TORCH_SPEC ?= torch
TORCH_INDEX ?= --index-url https://download.pytorch.org/whl/cpu

.PHONY: install lab lab-full demo test unit notebooks lint app bench bench-scale data videos wheelhouse clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-lab: $(BIN)/python pyproject.toml
	$(PIP_INSTALL) --upgrade pip
	$(PIP_INSTALL) $(LAB_REQUIREMENTS)
	touch $@

$(VENV)/.installed-full: $(VENV)/.installed-lab
	$(PIP_INSTALL) $(TORCH_INDEX) "$(TORCH_SPEC)"
	$(PIP_INSTALL) $(FULL_REQUIREMENTS)
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-full
	$(PIP_INSTALL) $(TEST_REQUIREMENTS)
	touch $@

install: $(VENV)/.installed-lab

lab: install
	$(BIN)/jupyter lab notebooks/

lab-full: $(VENV)/.installed-full
	$(BIN)/jupyter lab notebooks/

# Online, once: every wheel `make lab` needs (and pip/setuptools to build the project), for
# machines of the same OS and Python. WHEELS_FOR=".[local,analysis]" adds the text model (torch
# from TORCH_INDEX first). Copy the folder, then `make lab WHEELHOUSE=<folder>` with no network.
WHEELS_FOR ?= .
WHEELHOUSE_DIR = $(abspath $(or $(WHEELHOUSE),wheelhouse))
wheelhouse: $(BIN)/python
	$(if $(findstring local,$(WHEELS_FOR)),$(BIN)/python -m pip wheel -q -w "$(WHEELHOUSE_DIR)" $(TORCH_INDEX) "$(TORCH_SPEC)")
	$(BIN)/python -m pip wheel -q -w "$(WHEELHOUSE_DIR)" --find-links "$(WHEELHOUSE_DIR)" \
		pip "setuptools>=77" "$(WHEELS_FOR)"
	@echo "wheels in $(WHEELHOUSE_DIR): copy the folder, then: make lab WHEELHOUSE=<folder>"

demo: install
	$(BIN)/vidrec demo

# pytest exits 5 when it collected no test: that is a failure here, said loudly.
test: $(VENV)/.installed-test
	@$(BIN)/python -m pytest tests || { s=$$?; [ $$s -eq 5 ] && echo "FAILED: no unit tests ran" >&2; exit $$s; }
	@$(BIN)/python -m pytest --nbval --nbval-sanitize-with notebooks/sanitize.cfg notebooks/ || { s=$$?; [ $$s -eq 5 ] && echo "FAILED: no notebook ran" >&2; exit $$s; }

unit: $(VENV)/.installed-test
	$(BIN)/python -m pytest tests

# offline on purpose: committed outputs must be reproducible by CI, which has no keys
notebooks: $(VENV)/.installed-test
	VIDREC_MODE=offline $(BIN)/python scripts/run_notebooks.py

lint: $(VENV)/.installed-test
	$(BIN)/ruff check vidrec_helpers vidrec_cli vidrec_standins tests scripts bench notebooks
	$(BIN)/ruff format --check vidrec_helpers vidrec_cli vidrec_standins tests scripts bench

app: install
	$(BIN)/vidrec app

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run_all.py

# Qdrant's engine at 100k points (qdrant-edge): about 10 min on 2 shared cores; SCALE_ARGS=--quick,
# or the 1M run: SCALE_ARGS="--points 1000000 --builds hnsw_m16_scalar --efs 64,128,256,512 --out bench/results/scale_1m.json"
bench-scale: $(VENV)/.installed-test
	nice $(BIN)/python bench/scale.py $(SCALE_ARGS)

data: $(VENV)/.installed-full
	$(BIN)/python scripts/build_sample_data.py

videos: install
	$(BIN)/python scripts/make_sample_videos.py

clean:
	rm -rf .vidrec .pytest_cache

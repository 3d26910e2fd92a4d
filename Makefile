# vidrec: `make lab` opens the tutorial, `make test` runs every test. See README for Windows.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# CPU build of torch for the offline text model (the `local` extra); override for a GPU build.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed

.PHONY: install lab demo test unit notebooks-test notebooks lint app bench bench-scale data videos clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -e ".[dev,local]"
	touch $(STAMP)

install: $(STAMP)

lab: install
	$(BIN)/jupyter lab notebooks/

demo: install
	$(BIN)/vidrec demo

# pytest exits 5 when it collected no test: that is a failure here, said loudly.
test: install
	@$(BIN)/python -m pytest tests || { s=$$?; [ $$s -eq 5 ] && echo "FAILED: no unit tests ran" >&2; exit $$s; }
	@$(BIN)/python -m pytest --nbval --nbval-sanitize-with notebooks/sanitize.cfg notebooks/ || { s=$$?; [ $$s -eq 5 ] && echo "FAILED: no notebook ran" >&2; exit $$s; }

unit: install
	$(BIN)/python -m pytest tests

# offline on purpose: committed outputs must be reproducible by CI, which has no keys
notebooks: install
	VIDREC_MODE=offline $(BIN)/python scripts/run_notebooks.py

lint: install
	$(BIN)/ruff check vidrec_helpers tests scripts bench notebooks
	$(BIN)/ruff format --check vidrec_helpers tests scripts bench

app: install
	$(BIN)/vidrec app

bench: install
	$(BIN)/python bench/run_all.py

# Qdrant's engine at 100k points (qdrant-edge): about 10 min on 2 shared cores; SCALE_ARGS=--quick,
# or the 1M run: SCALE_ARGS="--points 1000000 --builds hnsw_m16_scalar --efs 64,128,256,512 --out bench/results/scale_1m.json"
bench-scale: install
	nice $(BIN)/python bench/scale.py $(SCALE_ARGS)

data: install
	$(BIN)/python scripts/build_sample_data.py

videos: install
	$(BIN)/python scripts/make_sample_videos.py

clean:
	rm -rf .vidrec .pytest_cache

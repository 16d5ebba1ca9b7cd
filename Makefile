# `make demo` and `make test` each create / refresh .venv (idempotent: a second run installs nothing).
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -ec
PY ?= python3
# pip prints one harmless warning per package for this machine's local index mirrors
QUIET := { grep -v "^WARNING: Location" || true; }
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PIP := $(BIN)/pip --disable-pip-version-check -q
# Threads per process for demo / test: 2 (this 2-core machine, one job alone). On a SHARED or busy
# machine use 1 (`OMP_NUM_THREADS=1 make test`): OpenMP threads waiting on a busy core made one
# benchmark 10x slower (docs/benchmarks.md). `make bench` always measures with 1 thread per process.
export OMP_NUM_THREADS ?= 2

.PHONY: setup demo test test-slow bench clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	# torch first (CPU wheel where available), then sam2 WITHOUT build isolation so that its
	# build does not download a second torch; then the rest, pinned.
	$(PIP) install torch==2.13.0 torchvision==0.28.0 2>&1 | $(QUIET)
	SAM2_BUILD_CUDA=0 $(PIP) install --no-build-isolation sam2==1.1.0 2>&1 | $(QUIET)
	$(PIP) install -r requirements.txt 2>&1 | $(QUIET)
	$(PIP) install --no-deps --no-build-isolation -e . 2>&1 | $(QUIET)
	# PyPI's torchvision wheel links CUDA torch; with the CPU torch its import raises, and
	# lightning -> torchmetrics would import it. sam2-video never uses torchvision: drop it there.
	$(BIN)/python -c "import torchvision" 2>/dev/null || { echo "torchvision cannot load with this torch build: uninstalling it (unused)"; $(PIP) uninstall -y torchvision 2>&1 | $(QUIET); }
	$(BIN)/python -c "import sam2, training.model.sam2, lightning, hydra, pycocotools, cv2, sam2_video"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python train.py experiment=demo

# The fast suite runs on TEST_WORKERS pytest-xdist workers, 1 torch thread each (no oversubscription
# of the 2 cores); test files are not split between workers (--dist loadfile), so module fixtures are
# built once. `TEST_WORKERS=0 make test` runs it in one process.
TEST_WORKERS ?= 2
test: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -m slow

bench: $(STAMP)
	OMP_NUM_THREADS=1 $(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) outputs datasets

# Two commands: `make book` builds the HTML book, `make test` runs every check.
# Both create .venv if it is missing and install the pinned dependencies first.
# `make test-exhaustive` runs the sweeps that `make test` samples (CI runs both).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# pytest-xdist processes, and chapters executed at once by `make notebooks`
WORKERS ?= 2

# pip installs with --no-compile (half the install time); every module is then byte-compiled on
# its first import, once. An environment with PYTHONDONTWRITEBYTECODE set would instead make
# every process (each chapter's kernel, each test worker) recompile torch: 7 s apiece. Setup
# imports the heavy modules once, so that later processes do not all compile them at once.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: book pdf test test-exhaustive setup notebooks benchmark screenshots experiments experiments-quick clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml tests/chapter_kernel.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-compile --no-deps -e .
	$(BIN)/python tests/chapter_kernel.py
	$(BIN)/python -c "import torch, srnbook.widgets, nbformat"
	@touch $(STAMP)

book: $(STAMP)
	rm -rf _build/html _build/.doctrees _build/page-checks
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The book is built: open $(CURDIR)/_build/html/index.html"

# The whole book as one PDF, printed from the built HTML by Chromium (book/make_pdf.py):
# _build/html/srnbook.pdf, which the book's "Download the PDF" link points to.
pdf: $(STAMP)
	@test -f _build/html/book/intro.html || $(MAKE) book
	$(BIN)/python book/make_pdf.py

test: $(STAMP)
	$(MAKE) book
	$(MAKE) pdf
	$(BIN)/python -m pytest -n $(WORKERS) --durations=15

# The sweeps marked `exhaustive` over all their cases (make test runs a seeded sample of each).
test-exhaustive: $(STAMP)
	$(BIN)/python -m pytest -n $(WORKERS) --exhaustive -m exhaustive

# Re-execute every chapter in place, storing outputs and widget state (what nbval compares),
# in the kernel with pinned numerics that tests/chapter_kernel.py installs.
notebooks: $(STAMP)
	ls book/*.ipynb | xargs -P $(WORKERS) -n 1 $(BIN)/jupyter nbconvert --to notebook --execute --inplace

benchmark: $(STAMP)
	$(BIN)/python benchmarks/srn_speed.py
	$(BIN)/python benchmarks/word_sampling.py
	$(BIN)/python benchmarks/extraction.py
	$(BIN)/python benchmarks/minimize.py
	$(BIN)/python benchmarks/gnvp_cost.py
	$(BIN)/python benchmarks/kfac_step.py
	$(BIN)/python benchmarks/hf_iteration.py
	@test -f _build/html/book/intro.html || $(MAKE) book
	$(BIN)/python benchmarks/page_load.py

# Long experiments: write the JSON results the chapters load (about 6 hours on two cores).
experiments: $(STAMP)
	$(BIN)/python -m srnbook.experiments vanishing --workers 2
	$(BIN)/python -m srnbook.experiments vanishing_sweep --workers 2
	$(BIN)/python -m srnbook.experiments long_lags --workers 2
	$(BIN)/python -m srnbook.experiments fastweights --workers 2
	$(BIN)/python -m srnbook.experiments fastweights_network
	$(BIN)/python -m srnbook.experiments hessian_free --workers 2
	$(BIN)/python -m srnbook.experiments kfac --workers 2
	$(BIN)/python -m srnbook.experiments learning_ssrn --workers 2
	$(BIN)/python -m srnbook.experiments exact_learning --workers 2
	$(BIN)/python -m srnbook.experiments backward_tuning --workers 2
	$(BIN)/python -m srnbook.experiments reservoir_esn

experiments-quick: $(STAMP)
	$(BIN)/python -m srnbook.experiments vanishing --quick --out /tmp/vanishing-quick.json
	$(BIN)/python -m srnbook.experiments vanishing_sweep --quick --out /tmp/vanishing_sweep-quick.json
	$(BIN)/python -m srnbook.experiments long_lags --quick --out /tmp/long_lags-quick.json
	$(BIN)/python -m srnbook.experiments fastweights --quick --out /tmp/fastweights-quick.json
	$(BIN)/python -m srnbook.experiments fastweights_network --quick --out /tmp/fastweights_network-quick.json
	$(BIN)/python -m srnbook.experiments hessian_free --quick --out /tmp/hessian_free-quick.json
	$(BIN)/python -m srnbook.experiments kfac --quick --out /tmp/kfac-quick.json
	$(BIN)/python -m srnbook.experiments learning_ssrn --quick --out /tmp/learning_ssrn-quick.json
	$(BIN)/python -m srnbook.experiments exact_learning --quick --out /tmp/exact_learning-quick.json
	$(BIN)/python -m srnbook.experiments backward_tuning --quick --out /tmp/backward_tuning-quick.json
	$(BIN)/python -m srnbook.experiments reservoir_esn --quick --out /tmp/reservoir_esn-quick.json

# Pictures of widgets for the PDF (needs the built book and Chromium).
screenshots: $(STAMP)
	$(BIN)/python book/images/make_dfa_stepper_png.py

clean:
	rm -rf _build

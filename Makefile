# Two commands: `make book` builds the HTML book, `make test` runs every check.
# Both create .venv if it is missing and install the pinned dependencies first.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test setup notebooks benchmark screenshots experiments experiments-quick clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

book: $(STAMP)
	rm -rf _build/html _build/.doctrees
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "The book is built: open $(CURDIR)/_build/html/index.html"

test: $(STAMP)
	$(MAKE) book
	$(BIN)/python -m pytest

# Re-execute every chapter in place, storing outputs and widget state (what nbval compares).
notebooks: $(STAMP)
	$(BIN)/jupyter nbconvert --to notebook --execute --inplace book/*.ipynb

benchmark: $(STAMP)
	$(BIN)/python benchmarks/srn_speed.py
	$(BIN)/python benchmarks/word_sampling.py
	$(BIN)/python benchmarks/extraction.py
	$(BIN)/python benchmarks/gnvp_cost.py
	$(BIN)/python benchmarks/kfac_step.py

# Long experiments: write the JSON results the chapters load (about 2.7 hours on two cores).
experiments: $(STAMP)
	$(BIN)/python -m srnbook.experiments vanishing --workers 2
	$(BIN)/python -m srnbook.experiments fastweights --workers 2
	$(BIN)/python -m srnbook.experiments hessian_free --workers 2
	$(BIN)/python -m srnbook.experiments kfac --workers 2
	$(BIN)/python -m srnbook.experiments learning_ssrn --workers 2
	$(BIN)/python -m srnbook.experiments backward_tuning --workers 2

experiments-quick: $(STAMP)
	$(BIN)/python -m srnbook.experiments vanishing --quick --out /tmp/vanishing-quick.json
	$(BIN)/python -m srnbook.experiments fastweights --quick --out /tmp/fastweights-quick.json
	$(BIN)/python -m srnbook.experiments hessian_free --quick --out /tmp/hessian_free-quick.json
	$(BIN)/python -m srnbook.experiments kfac --quick --out /tmp/kfac-quick.json
	$(BIN)/python -m srnbook.experiments learning_ssrn --quick --out /tmp/learning_ssrn-quick.json
	$(BIN)/python -m srnbook.experiments backward_tuning --quick --out /tmp/backward_tuning-quick.json

# Pictures of widgets for the PDF (needs the built book and Chromium).
screenshots: $(STAMP)
	$(BIN)/python book/images/make_dfa_stepper_png.py

clean:
	rm -rf _build

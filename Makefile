# Two commands on a fresh machine (only Python 3.10+ needed):
#   make demo   set up .venv, run qualkit on the bundled sample corpus
#   make test   set up .venv with the test and dask extras, run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO   := out/demo.db
CORPUS := corpora/niot_case_study

.PHONY: demo test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,dask]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	@rm -f $(DEMO) $(DEMO)-wal $(DEMO)-shm && mkdir -p out
	$(BIN)/qualkit -p $(DEMO) init
	$(BIN)/qualkit -p $(DEMO) ingest $(CORPUS)/interviews $(CORPUS)/documents --cases $(CORPUS)/cases.csv
	$(BIN)/qualkit -p $(DEMO) status
	$(BIN)/qualkit -p $(DEMO) codebook load codebooks/niot_coherent_offer.yaml
	$(BIN)/qualkit -p $(DEMO) code
	$(BIN)/qualkit -p $(DEMO) review import $(CORPUS)/decisions.csv
	$(BIN)/qualkit -p $(DEMO) review status
	$(BIN)/qualkit -p $(DEMO) export suggestions out/suggestions.xlsx
	$(BIN)/qualkit -p $(DEMO) train
	$(BIN)/qualkit -p $(DEMO) code
	$(BIN)/qualkit -p $(DEMO) agreement
	$(BIN)/qualkit -p $(DEMO) analyse toc --diagram out/toc.png
	$(BIN)/qualkit -p $(DEMO) export codings out/codings.xlsx
	$(BIN)/qualkit -p $(DEMO) export qdpx out/project.qdpx
	$(BIN)/qualkit -p $(DEMO) report out/report.docx --by disadvantage
	@echo "Done: out/report.docx (Word report), out/codings.xlsx, out/suggestions.xlsx, out/toc.png, out/project.qdpx"

test: $(VENV)/.installed-test
	$(BIN)/ruff check qualkit tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n 2

lint: $(VENV)/.installed-test
	$(BIN)/ruff check qualkit tests benchmarks

clean:
	rm -rf $(VENV) out

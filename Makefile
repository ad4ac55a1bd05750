# Two commands do everything on a fresh machine: `make run` and `make test` (see README.md).
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test serve bench lint lock clean

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(VENV)/bin/biplomacy demo run

test: install
	bash scripts/test.sh

serve: install
	$(VENV)/bin/biplomacy serve --host 127.0.0.1 --port 8000

bench: install
	bash scripts/bench.sh

lint: install
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

# Refresh the exact pins from what is installed (run after changing pyproject.toml's dependencies).
lock:
	$(PY) -m pip freeze --exclude-editable | grep -v '^biplomacy' > constraints.txt

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

# Two commands matter: `make serve` (run everything on one machine) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: serve test lint typecheck coverage install install-dev bench clean chromium java

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e . --config-settings editable_mode=compat
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

serve: install
	$(BIN)/incident-desk serve

# The whole suite with branch coverage: it fails under the floor in [tool.coverage.report] (90 %).
test: install-dev chromium java
	$(BIN)/python -m pytest --cov --cov-report=term $(PYTEST_ARGS)

# ruff (style, bugs, import order; config in pyproject.toml) and the import-linter contracts (which layer
# may import which: [tool.importlinter]).
lint: install-dev
	$(BIN)/ruff check .
	PYTHONPATH=$(CURDIR) $(BIN)/lint-imports

# mypy on the domain, the checks, the forge adapters and the handlers ([tool.mypy] files).
typecheck: install-dev
	$(BIN)/mypy

coverage: test  # the coverage report and its floor are part of `make test`

# The browser tests drive Debian's Chromium (Playwright's own download is not used). Installed when
# missing and apt-get may run; otherwise those tests fail and say how to install it.
chromium:
	@test -x /usr/bin/chromium || { echo "== installing Debian's chromium for the browser tests =="; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo -n"; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium \
	  || { $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; } \
	  || echo "could not install chromium: run 'apt-get install -y chromium' as root"; }

# The Nu HTML checker (vnu.jar, from the dev extras) runs on Java: Debian's headless JRE when none is there.
java:
	@command -v java >/dev/null || { echo "== installing Debian's headless Java for the Nu HTML checker =="; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO="sudo -n"; \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q default-jre-headless \
	  || { $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q default-jre-headless; } \
	  || echo "could not install java: run 'apt-get install -y default-jre-headless' as root"; }

bench: install-dev
	$(BIN)/python bench/ack.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.*

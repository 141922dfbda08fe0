# Two commands for people (see README): `make run` and `make test`.
# Everything else here is a step those two depend on; each is skipped when up to date.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DB     := data/hindsight.duckdb
SAMPLE := data/sample/postmortems
# The sample's tracker exports (written by `hindsight generate` beside the postmortems), so the
# dashboard shows time to close and tracker statuses; docs/tracker.md.
TRACKER := data/sample/tracker/jira.csv data/sample/tracker/github_issues.json
PORT   ?= 8501

.PHONY: run test build dashboard bench chromium clean

run: $(DB)
	$(BIN)/hindsight dashboard --db $(DB) --port $(PORT)

test: $(VENV)/.installed-test chromium
	$(BIN)/python -m pytest -rs

build: $(DB)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || \
	  { echo "Hindsight needs Python 3.11 or newer; run e.g. 'make PYTHON=python3.11 $(MAKECMDGOALS)'"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Stamp files make re-runs quick: pip only runs again when pyproject.toml changes.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip || echo "note: could not upgrade pip (offline?); using the bundled one"
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q --upgrade pip || echo "note: could not upgrade pip (offline?); using the bundled one"
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

# The build itself skips unchanged files by content hash; make only decides whether to call it.
$(DB): $(VENV)/.installed-run $(shell find $(SAMPLE) -type f 2>/dev/null) $(TRACKER) $(shell find pipelines -name "*.py" -o -name "*.toml")
	$(BIN)/hindsight build $(SAMPLE) $(foreach t,$(TRACKER),--tracker $(t)) --db $(DB)

# The browser tests drive Debian's chromium (Playwright cannot download its own here).
# On a user's machine without root or apt they skip and say why; in CI (HINDSIGHT_STRICT_TESTS=1,
# set by .ci/run) a chromium that cannot be installed stops the run here.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ] && \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } ; } || \
	  { [ "$$HINDSIGHT_STRICT_TESTS" = 1 ] && { echo "error: chromium could not be installed, and CI requires the browser tests"; exit 1; }; } || \
	  echo "note: chromium not installed; the browser tests will skip"

bench: $(VENV)/.installed-test
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/blameless.py
	$(BIN)/python bench/lint_narrative.py
	$(BIN)/python bench/themes.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/load.py
	$(BIN)/python bench/tracker_accuracy.py

clean:
	rm -rf $(VENV) $(DB) data/hindsight.duckdb.* tests/artifacts

# Two commands matter: `make run` (install and start the app) and `make test` (install and test).
# Everything is installed into .venv from requirements.lock (exact versions, with hashes), then the
# project itself as an editable package, so `import geo` and `import ui` work without sys.path patches.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-lock
LOCK_CMD := $(VENV)/bin/uv pip compile pyproject.toml --extra test --extra dev --generate-hashes \
	--universal --python-version 3.11 --quiet -o requirements.lock

.PHONY: run test test-lowest install lint typecheck check lock lock-upgrade bench bench-quick build clean

$(STAMP): requirements.lock pyproject.toml
	sh scripts/system-deps.sh venv $(PYTHON) $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes --only-binary :all: -r requirements.lock
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/streamlit run serve.py

test: $(STAMP)
	sh scripts/system-deps.sh test
	$(PY) -m pytest

lint: $(STAMP)
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(PY) -m mypy

check: lint typecheck test

# Regenerate the lock after changing dependencies in pyproject.toml; versions already pinned stay
# unless `make lock-upgrade`. Commit requirements.lock with the pyproject.toml change.
lock: $(STAMP)
	$(LOCK_CMD)

lock-upgrade: $(STAMP)
	$(LOCK_CMD) --upgrade

# Check the lower bounds in pyproject.toml: the oldest allowed version of every direct dependency,
# in a venv of its own (.venv-lowest), then the tests. Run it after raising or adding a bound.
test-lowest: $(STAMP)
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --resolution lowest-direct --python-version 3.11 \
		--quiet -o .venv-lowest.txt
	sh scripts/system-deps.sh venv $(PYTHON) .venv-lowest
	.venv-lowest/bin/python -m pip install --quiet --disable-pip-version-check --only-binary :all: -r .venv-lowest.txt
	.venv-lowest/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	.venv-lowest/bin/python -m pytest

# Every speed and memory figure beside its baseline, measured in the same run: the data layer and
# site pipeline (bench/run.py; --quick for 100,000 rows instead of 1,000,000), the `sites import`
# and `sites export` commands as a user runs them (bench/commands.py), then the pages
# against a minimal Streamlit page in headless Chromium (bench/pages.py, about 15 minutes).
bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/commands.py
	$(PY) bench/pages.py

bench-quick: $(STAMP)
	$(PY) bench/run.py --quick
	$(PY) bench/commands.py --quick

build: $(STAMP)
	$(PY) -m geo build

clean:
	rm -rf cache .pytest_cache

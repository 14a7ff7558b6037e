# journeymine: `make run` mines the bundled sample, `make test` runs the tests.
# Both create .venv with the pinned dependencies on first use (needs only python3).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CONFIG ?= journeymine.yaml
STAMP  := $(VENV)/.installed

export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export PREFECT_LOGGING_LEVEL ?= INFO

.PHONY: run test notebook bench sample lock clean chromium

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing pinned dependencies into $(VENV) (first time: about 2 minutes)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/journeymine run --config $(CONFIG)

test: $(STAMP)
	@command -v chromium >/dev/null 2>&1 || $(MAKE) --no-print-directory chromium \
	  || echo "chromium could not be installed: the report's browser test will be skipped"
	$(BIN)/python -m pytest -q

# the notebooks of notebooks/ in JupyterLab from .venv, on the config's published run (its output_dir
# in JOURNEYMINE_OUTPUT); `make run` first when that has none. JUPYTER_ARGS: options for JupyterLab.
JUPYTER_ARGS ?=
JUPYTER_AS_ROOT = $(if $(filter 0,$(shell id -u)),--allow-root)
notebook: $(STAMP)
	@out=$$($(BIN)/python -c "from journeymine.config import load_config; print(load_config('$(CONFIG)').output_dir)") \
	  && { test -e "$$out/current/analytics.duckdb" || $(MAKE) --no-print-directory run; } \
	  && JOURNEYMINE_OUTPUT="$$out" $(BIN)/jupyter lab --ServerApp.root_dir=notebooks $(JUPYTER_AS_ROOT) $(JUPYTER_ARGS) \
	     notebooks/introduction.ipynb

# Debian's chromium, for the test that opens friction_report.html in a real browser
chromium:
	@echo "installing Debian's chromium for the report's browser test (about a minute)"
	@DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# a whole run at 1M and 10M raw rows beside the floor and a peer, a nightly run, mining vs pm4py
# (about 40 minutes on 2 cores; the 100M run is `benchmarks/scale.py --huge`, about an hour more)
bench: $(STAMP)
	$(BIN)/python benchmarks/scale.py --sizes 1M 10M --repeat 2 --nightly
	$(BIN)/python benchmarks/mining.py
	$(BIN)/python benchmarks/sort_floor.py

sample: $(STAMP)
	$(BIN)/journeymine sample --customers 2500 --days 60 --seed 7 --out data/sample

lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install --quiet 'setuptools>=70.1' && .lockvenv/bin/python -m pip install --quiet -e '.[test,notebooks]'
	{ echo "# Exact versions journeymine is tested with (Python 3.11). Regenerate with: make lock"; \
	  .lockvenv/bin/python -m pip freeze --all --exclude-editable | grep -iv -e '^journeymine' -e '^pip=='; } > requirements.lock
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) out

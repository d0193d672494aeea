# The two set-up commands of the README: `make demo` and `make test`.
# Both create .venv when it is missing and install everything the project needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH_VERSION ?= 2.13.0
ADULT  ?= ../shared/datasets/adult.csv

export PREFECT_SERVER_ANALYTICS_ENABLED := false

.PHONY: install chromium demo test bench server clean

install: $(STAMP)

# torch goes in first: with no NVIDIA GPU the CPU build (on these machines a wheel on local disk);
# `pip install .` afterwards finds torch already satisfied and never pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then \
		echo "NVIDIA GPU found: installing torch $(TORCH_VERSION) (CUDA build)"; \
		$(BIN)/pip install -q "torch==$(TORCH_VERSION)"; \
	elif $(BIN)/pip install --dry-run --no-deps -q --report - "torch==$(TORCH_VERSION)" 2>/dev/null | grep -q '%2Bcpu\|+cpu'; then \
		echo "No NVIDIA GPU: installing torch $(TORCH_VERSION) CPU build (found locally)"; \
		$(BIN)/pip install -q "torch==$(TORCH_VERSION)"; \
	else \
		echo "No NVIDIA GPU: installing torch $(TORCH_VERSION) CPU build from the PyTorch CPU index"; \
		$(BIN)/pip install -q "torch==$(TORCH_VERSION)" --index-url https://download.pytorch.org/whl/cpu; \
	fi
	$(BIN)/pip install -q -e ".[dev]"
	@$(MAKE) --no-print-directory chromium
	touch $(STAMP)

# Headless Chromium renders the HTML reports in a test (skipped, saying so, where it is missing).
# Installed from Debian when this is a root shell with apt-get; otherwise left to you.
chromium:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing chromium (Debian) for the report rendering test"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "chromium could not be installed: the report rendering test will be skipped"; \
	else echo "chromium not found (apt-get install chromium): the report rendering test will be skipped"; fi

# `synthgan demo` (= `synthgan run requests/adult.yaml`) exits 1 when the run's checks reject it: the job still ran end to end (the
# reasons and report are printed), so the demo reports that rather than failing.
demo: $(STAMP)
	@$(BIN)/synthgan demo; rc=$$?; \
	if [ $$rc -eq 1 ]; then echo "demo finished: the checks rejected this run, nothing was published (reasons above)"; \
	elif [ $$rc -ne 0 ]; then exit $$rc; fi

test: $(STAMP)
	$(BIN)/python -m pytest -q

# A real Prefect server for the Dask executor (its workers are other processes and must all talk to
# one server). Runs in the foreground; in another shell: export PREFECT_API_URL=http://127.0.0.1:4200/api
PREFECT_PORT ?= 4200
server: $(STAMP)
	@echo "Prefect server on http://127.0.0.1:$(PREFECT_PORT) (UI there); in another shell:"
	@echo "  export PREFECT_API_URL=http://127.0.0.1:$(PREFECT_PORT)/api"
	PREFECT_HOME=$${PREFECT_HOME:-$(CURDIR)/.prefect-server} $(BIN)/prefect server start --host 127.0.0.1 --port $(PREFECT_PORT)

bench: $(STAMP)
	$(BIN)/python bench/tabular_vs_ctgan.py --data $(ADULT)
	$(BIN)/python bench/evaluate_adult.py --data $(ADULT)

clean:
	rm -rf $(VENV) demo_output published bench/work .prefect-server

# Development commands; README.md lists them. Every target that runs code first creates or
# updates the virtual environment in .venv (make dev).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CONSTRAINTS := tools/constraints.txt
# Extra pytest arguments, e.g. make test ARGS="-m 'not slow' -x"
ARGS ?=

.PHONY: dev test lint demo dist clean

dev: $(VENV)/.dev-installed

# Reinstalled when the declaration, the pins, the build script or the version change.
$(VENV)/.dev-installed: pyproject.toml $(CONSTRAINTS) tools/build_dists.py myfla/version.py
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	# torch first, pinned by the constraints file (an unpinned torch pulls CUDA wheels);
	# every later install keeps the pins, so torch is never upgraded.
	$(PY) -m pip install -c $(CONSTRAINTS) torch
	$(PY) -m pip install -c $(CONSTRAINTS) build ruff vermin
	$(PY) tools/build_dists.py develop -c $(CONSTRAINTS)
	touch $@

# pytest's exit code 5 means that no test was collected (e.g. ARGS selected none): not a failure.
test: dev
	$(PY) -m pytest $(ARGS); status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests"; exit 0; fi; \
	exit $$status

lint: dev
	$(PY) -m ruff check .
	$(VENV)/bin/vermin --config-file setup.cfg myfla fla_encoders

# The ladder (gru; rwkv7, gated_deltanet, dual) and the linear reference on the embedded mock
# panel, 3 seeds, two runs at a time, sized to finish in about 10 minutes on 2 CPU cores; the
# report in runs/demo/ is docs/results/mock-ladder.md (`fla-encoders report` remakes it).
DEMO_SETTINGS := --encoders gru,linear,rwkv7,gated_deltanet,dual --seeds 3 --jobs 2 --data mock \
	--set data.options.n_dates=400 --set data.options.n_assets=200 --set data.dates_per_batch=16 \
	--set model.hidden_size=32 --set training.epochs=8 --set training.patience=3 \
	--set rwkv7:model.encoder_kwargs.head_dim=16 \
	--set dual:model.encoder_kwargs.rwkv7_kwargs.head_dim=16

demo: dev
	$(PY) -m fla_encoders list
	$(PY) -m fla_encoders --log-level WARNING compare $(DEMO_SETTINGS) --out runs/demo

dist: dev
	rm -rf dist
	$(PY) tools/build_dists.py dist

clean:
	rm -rf build dist

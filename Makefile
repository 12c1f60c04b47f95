# The two commands of the README:
#   make demo   toy data -> every stage of the pipeline on CPU -> report
#   make test   the test suite
# Both create .venv when missing and install only what is missing.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip
DEPS_HASH := $(shell cat setup.py requirements/*.txt | md5sum | cut -c1-12)
STAMP := $(VENV)/.deps-$(DEPS_HASH)
DEMO_DIR ?= work_dirs/demo
PYTEST_ARGS ?=

.PHONY: demo test test-unit install crf clean-venv

install: $(STAMP)

$(STAMP): setup.py $(wildcard requirements/*.txt)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# Keep a torch that is already there (e.g. a CUDA build for your GPU).
	@$(BIN)/python -c "import torch, torchvision" 2>/dev/null || \
		$(PIP) install -q -r requirements/torch.txt
	$(PIP) install -q 'setuptools<81' wheel
	$(PIP) install -q --no-build-isolation -e '.[tests,pretrained]'
	@# one OpenCV: mmengine and mmcv declare opencv-python, mmwsss (and
	@# pysodmetrics) the headless build; both provide cv2, keep the headless
	@# one (requirements/README.md)
	@# (the wheel is fetched first: offline without it, both builds stay)
	@if $(PIP) show -q opencv-python >/dev/null 2>&1; then \
		v=$$($(BIN)/python -c 'from importlib.metadata import version; print(version("opencv-python-headless"))') && \
		rm -rf $(VENV)/.opencv && \
		if $(PIP) download -q --no-deps -d $(VENV)/.opencv "opencv-python-headless==$$v"; then \
			$(PIP) uninstall -q -y opencv-python && \
			$(PIP) install -q --force-reinstall --no-deps $(VENV)/.opencv/*.whl; \
		else echo "note: no opencv-python-headless wheel to reinstall: keeping opencv-python beside it"; fi; \
		s=$$?; rm -rf $(VENV)/.opencv; exit $$s; \
	fi
	@rm -f $(VENV)/.deps-*
	@touch $@

# The demo's relation labels use IRN's dense CRF, and the suite tests it:
# the [crf] extra (pydensecrf2, built from source the first time: about
# 2 min here).
crf: $(STAMP)
	@$(BIN)/python -c "import pydensecrf.densecrf" 2>/dev/null || \
		$(PIP) install -q pydensecrf2

demo: crf
	$(BIN)/python tools/run_pipeline.py configs/pipelines/toy_pipeline.py \
		--work-dir $(DEMO_DIR)

test: crf
	$(BIN)/python -m pytest tests -ra $(PYTEST_ARGS)

# the fast tier only (tests/unit): a few minutes
test-unit: $(STAMP)
	$(BIN)/python -m pytest tests -ra -m unit $(PYTEST_ARGS)

clean-venv:
	rm -rf $(VENV)

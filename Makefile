# ASF-hjälpen. `make run` and `make test` set everything up on a fresh machine:
# a Python 3.10 virtual environment with pinned dependencies, the Swedish spaCy
# pipeline, and a trained model (retrained only when data or config changed).

SHELL := /bin/bash
PYTHON ?= python3.10
VENV := .venv
BIN := $(VENV)/bin

# No telemetry: this machine reaches no such host, and the bot sends nothing anywhere.
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
# Rasa's training cache keys the spaCy pipeline by its path only; a rebuilt pipeline
# under the same path must not reuse stale features, so the cache stays off.
export RASA_MAX_CACHE_SIZE := 0
# Playwright drives Debian's Chromium; it must never try to download a browser.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

NLU_DATA := $(shell find data/nlu -name '*.yml')
TRAINING_DATA := $(shell find data -name '*.yml')
SPACY := build/sv_asf
MODEL := models/asf.tar.gz
CORE_STORIES := tests/e2e
NODE_MODULES := node_modules/.installed

.PHONY: setup run cluster chat test lint validate pytest stories bench bench-scale bench-readability clean chromium haproxy pango

setup: $(MODEL)

$(VENV)/.installed: requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@# The packaging tools first, at their pinned versions, then everything else.
	$(BIN)/python -m pip install --quiet --no-deps $$(grep -E '^(pip|setuptools|wheel)==' requirements.lock)
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

$(SPACY)/meta.json: $(VENV)/.installed $(NLU_DATA) bot/nlp/build.py bot/nlp/lemmas.py
	$(BIN)/python -m bot.nlp.build --data data/nlu --output $(SPACY)

$(MODEL): $(SPACY)/meta.json config.yml domain.yml $(TRAINING_DATA)
	$(BIN)/rasa train --force --fixed-model-name asf --out models
	@touch $@

run: setup pango
	$(BIN)/asf-bot run

# Replicas behind HAProxy on PostgreSQL and Redis (README, "Running on several machines").
cluster: setup haproxy pango
	$(BIN)/asf-bot cluster

chat: $(VENV)/.installed
	$(BIN)/asf-bot chat

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

validate: $(VENV)/.installed
	$(BIN)/rasa data validate --fail-on-warnings

# The browser tests' tools: axe-core from npm (exact versions in package-lock.json),
# installed again only when the lock changes, and Debian's Chromium when it is missing.
$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

# HAProxy from Debian's packages, for `make cluster` and the cluster tests.
haproxy:
	@PATH="$$PATH:/usr/sbin" command -v haproxy >/dev/null || (apt-get update && apt-get install -y haproxy)

# Debian's Pango and a font with every Swedish letter, for WeasyPrint (the counselling
# summary's PDF); installed when missing.
PANGO_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
pango:
	@[ "$$(dpkg-query -W -f='$${db:Status-Abbrev}\n' $(PANGO_PACKAGES) 2>/dev/null | grep -c '^ii')" = \
		"$(words $(PANGO_PACKAGES))" ] || (apt-get update && apt-get install -y $(PANGO_PACKAGES))

pytest: setup $(NODE_MODULES) chromium haproxy pango
	$(BIN)/pytest

stories: setup
	$(BIN)/rasa test core --model $(MODEL) --stories $(CORE_STORIES) \
		--fail-on-prediction-errors --out var/results/stories

test: setup lint validate pytest stories

# The NLU figures (summary.md, features.md, readability.md), then the scale bench (scale.md): about 1.5 h.
bench: setup haproxy
	$(BIN)/python -m bench.run

# The scale bench alone (bench/results/scale.md): one machine, the cluster with 1 and 2
# replicas, Rasa's starter bot and a 10-minute soak, about half an hour.
bench-scale: setup haproxy
	$(BIN)/python -m bench.scale

# The readability report alone (bench/results/readability.md): LIX of every text in
# Swedish, lättläst and English, in a second.
bench-readability: $(VENV)/.installed
	$(BIN)/python -m bench.readability

clean:
	rm -rf build models var .rasa results node_modules

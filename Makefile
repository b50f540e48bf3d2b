# voice: `make run` serves the demo; `make test` runs every test. Both start from a bare machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps
FLASK := $(BIN)/flask --app voice
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test install assets pot translations compile-translations system-deps bench audit migration clean

run: install assets compile-translations
	VOICE_DEVELOPMENT=1 $(FLASK) migrate
	VOICE_DEVELOPMENT=1 $(FLASK) seed-demo
	VOICE_DEVELOPMENT=1 $(FLASK) run --host 127.0.0.1 --port 5000

test: install system-deps assets compile-translations
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -n 3 --dist worksteal

install: $(STAMPS)/installed

$(STAMPS)/installed: pyproject.toml
	@mkdir -p $(STAMPS)
	[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,assets]'
	@touch $@

# Debian's Chromium and PostgreSQL for the browser and database tests, and h2load (the load
# generator of `make bench`), when missing.
system-deps:
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	@command -v h2load >/dev/null || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq nghttp2-client; }
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq postgresql; }

# The asset build needs the virtual environment's fontTools, brotli and WhiteNoise.
ASSETS_PYTHON := $(BIN)/python
assets: install
include scripts/assets.mk

# Extract every string (code, templates, questionnaires), update each catalogue, compile.
# npm's folder (some 30,000 files, none of them ours) is not walked.
POT ?= translations/messages.pot
pot: install
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --add-location=file --sort-output \
		--ignore-dirs ".* ._ node_modules" \
		--project voice --copyright-holder "voice" -o $(POT) .

translations: pot
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	$(MAKE) compile-translations

compile-translations: install
	$(BIN)/pybabel -q compile -d translations

# A new migration from the difference between the models and the database schema.
migration: install
	$(BIN)/python -c 'import sys, voice.migrate as m; m.new_revision(sys.argv[1])' "$(or $(MESSAGE),change)"

# Lighthouse (npm) with Debian's Chromium on a child step and a staff page: accessibility and
# best practices 100, performance (mobile settings for the child) at least 95.
audit: install assets compile-translations
	$(BIN)/python -m accessibility.lighthouse

bench: install system-deps assets compile-translations
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(STAMPS) node_modules static/build

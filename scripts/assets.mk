# Front-end assets. Included by the main Makefile; also works on its own:
#   make -f scripts/assets.mk assets
#
# `assets` installs the npm packages with `npm ci` only when node_modules/ is
# missing or package.json / package-lock.json changed, then runs
# scripts/build_assets.py only when a source changed. The stamp lives inside
# static/build/, which the script recreates from scratch, so deleting
# static/build/ (or node_modules/) always leads to a full rebuild, and a
# repeated `make assets` does nothing.

# fontTools, brotli and WhiteNoise come from the project's virtual environment (make install).
ASSETS_PYTHON ?= .venv/bin/python
NPM ?= npm

ASSETS_STAMP := static/build/.stamp
# npm ci writes this file last; it is our "node_modules is current" marker.
NODE_MODULES_STAMP := node_modules/.package-lock.json

ASSETS_SOURCES := scripts/build_assets.py scripts/inject_precache.mjs package.json package-lock.json \
	static/pictograms.toml static/ATTRIBUTION.md \
	$(wildcard static/src/*.scss static/src/*.css static/src/licences/*) \
	$(wildcard static/js/*.js static/js/modules/*.js static/css/*.css) static/icon.svg \
	$(wildcard translations/*/LC_MESSAGES/messages.po)

.PHONY: assets assets-clean

assets: $(ASSETS_STAMP)

$(NODE_MODULES_STAMP): package.json package-lock.json
	@command -v $(NPM) >/dev/null || { echo "assets: npm is missing (Node 20.19+ and npm are needed)" >&2; exit 1; }
	$(NPM) ci --no-audit --no-fund --include=dev
	@touch $@

$(ASSETS_STAMP): $(NODE_MODULES_STAMP) $(ASSETS_SOURCES)
	$(ASSETS_PYTHON) scripts/build_assets.py
	@touch $@

assets-clean:
	rm -rf node_modules static/build

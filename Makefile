# smsform: `make run` serves the app and its bulk worker (Procfile, through honcho) on the
# embedded simulator; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000

# Translations: English message ids in the sources, Korean in translations/ko (see babel.cfg).
POT ?= translations/messages.pot
LOCALES := ko
PO_FILES := $(foreach l,$(LOCALES),translations/$(l)/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
EXTRACT_OPTIONS := -F babel.cfg -k lazy_gettext -k _l -k lazy_ngettext:1,2 \
	--add-comments=TRANSLATORS: --add-location=file --sort-by-file --no-wrap \
	--project=smsform --copyright-holder="smsform contributors"

.PHONY: install run test test-quick lint simulator clean translations extract

install: $(VENV)/.installed $(MO_FILES)

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# The compiled catalogs are build output (.gitignore): made from the committed .po files.
translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile --domain=messages --directory=translations --locale=$* --statistics

# Re-extract the English ids and merge them into each catalog; then translate the new ones.
translations: $(VENV)/.installed
	$(MAKE) --no-print-directory extract
	for locale in $(LOCALES); do \
		$(BIN)/pybabel update --input-file=$(POT) --output-dir=translations --domain=messages \
			--locale=$$locale --init-missing --no-fuzzy-matching --ignore-obsolete \
			--ignore-pot-creation-date --no-wrap || exit 1; \
	done
	$(MAKE) --no-print-directory $(MO_FILES)

# Write the template ($(POT), overridable: tests extract into a temp file to compare).
extract:
	$(BIN)/pybabel extract $(EXTRACT_OPTIONS) --output-file=$(POT) .

# The app and the bulk jobs' worker together (Procfile); Ctrl-C stops both.
run: install
	$(BIN)/flask --app app upgrade-db
	$(BIN)/honcho start --port $(PORT) --procfile Procfile

# The public cafe24-sms-Django client, unmodified, in its own environment: tests/test_relay.py
# points it at the relay.
CLIENT_VENV := $(VENV)/client
$(CLIENT_VENV)/.installed: tests/relay_client/requirements.txt
	$(PYTHON) -m venv $(CLIENT_VENV)
	$(CLIENT_VENV)/bin/python -m pip install --quiet -r tests/relay_client/requirements.txt
	touch $@

test: lint $(CLIENT_VENV)/.installed
	$(BIN)/python -m pytest

# While working: every test but those that start servers or clusters of their own (marker
# `slow`: PostgreSQL, gunicorn, app processes, the public client) and the browser tests.
test-quick: install
	$(BIN)/python -m pytest -m "not slow and not browser"

# ruff, then mypy on the app and the library ([tool.mypy] in pyproject.toml names them).
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

simulator: install
	$(BIN)/flask --app app simulator --host 127.0.0.1 --port 8765

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis $(MO_FILES)

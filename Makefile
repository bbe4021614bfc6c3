# desk: `make run` serves the embedded default with demo data; `make test` runs the suite.
VENV    := .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app wsgi
PORT    ?= 5000
PYTHON  ?= python3

.PHONY: run test install install-test assets translations lint bench clean

run: install
	$(FLASK) db upgrade
	$(FLASK) desk demo
	$(FLASK) desk serve --host 127.0.0.1 --port $(PORT)

test: install install-test
	bash tests/services.sh
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest $(PYTEST_ARGS)

install: $(VENV)/.installed static/vendor/.installed translations

install-test: $(VENV)/.test-installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.installed
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Third-party browser code comes from npm at install time and is never committed.
static/vendor/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js \
	   node_modules/socket.io-client/dist/socket.io.min.js \
	   node_modules/modern-normalize/modern-normalize.css \
	   node_modules/chart.js/dist/chart.umd.js static/vendor/
	touch $@

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d desk/translations --statistics 2>&1 | tail -n 2

# Refresh the catalogs after changing UI strings: extract, then merge into de and en.
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F desk/translations/babel.cfg -k _l -k lazy_gettext --no-location --sort-output -w 100 -o desk/translations/messages.pot .
	$(VENV)/bin/pybabel update -i desk/translations/messages.pot -d desk/translations --no-fuzzy-matching -w 100

lint: install-test
	$(VENV)/bin/ruff check .

bench: install install-test
	bash tests/services.sh
	$(PY) -m bench.queue_page
	$(PY) -m bench.intake
	$(PY) -m bench.canned
	$(PY) -m bench.faq
	$(PY) -m bench.live
	$(PY) -m bench.assignment
	$(PY) -m bench.reports

clean:
	rm -rf $(VENV) node_modules static/vendor instance

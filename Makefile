# Two commands set up everything on a fresh machine with Python 3.11+ and make:
#   make run   virtualenv, install, migrate, load the catalogue, first admin, serve with reminders
#   make test  the whole suite, lint and type checks included
# DATABASE_URL, REDIS_URL and EMAIL_URL switch to the real services.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export DJANGO_SETTINGS_MODULE ?= tracker.settings

.PHONY: run test lint typecheck install migrate catalogue demo worker bench messages clean

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

catalogue: migrate
	$(PY) manage.py load_catalogue

# Links in reminder emails point to the server make run starts, unless SITE_URL says otherwise.
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: catalogue
	$(PY) manage.py ensure_first_admin
	$(PY) manage.py setup_reminder_schedule
	@echo "Serving on http://127.0.0.1:$(PORT)/admin/ (reminder worker and scheduler running alongside,"
	@echo "logging to var/celery.log). Stop with Ctrl-C."
	@set -e; \
	var=$${TRACKER_VAR_DIR:-var}; \
	$(VENV)/bin/celery -A tracker worker --beat --pool=solo --loglevel=INFO \
	    --schedule $$var/celerybeat-schedule >$$var/celery.log 2>&1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null || true' EXIT INT TERM HUP; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

demo: catalogue
	$(PY) manage.py loaddemo

worker: install
	$(VENV)/bin/celery -A tracker worker --beat --pool=solo --loglevel=INFO

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy recommendations tracker

test: lint typecheck
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest

bench: install
	bash bench/run.sh

messages: install
	cd recommendations && ../$(PY) ../manage.py makemessages -l vi -l en --no-obsolete
	cd recommendations && ../$(PY) ../manage.py compilemessages

# The virtualenv and caches only: var/ holds the embedded database, evidence files and the secret
# key, which nothing here deletes.
clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
	find . -name __pycache__ -type d -prune -not -path './var/*' -exec rm -rf {} +

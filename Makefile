# Gatehouse: `make run` serves the portal with demo data; `make test` runs every test.
PYTHON ?= python3
PORT ?= 8000
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# OAUTHLIB_INSECURE_TRANSPORT lets the playground (requests-oauthlib) talk to this server over plain http.
# GATEHOUSE_VERIFICATION_ALLOW_PRIVATE lets app verification check a proof served on this machine.
DEV_ENV := GATEHOUSE_DEBUG=true GATEHOUSE_EMAIL=file OAUTHLIB_INSECURE_TRANSPORT=1 GATEHOUSE_VERIFICATION_ALLOW_PRIVATE=true

.PHONY: run test lint format bench check-deploy messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the pinned requirements change, so a second `make run` starts in seconds.
$(STAMP): requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(DEV_ENV) $(BIN)/python manage.py migrate --no-input -v 0
	$(DEV_ENV) $(BIN)/python manage.py seed_demo --port $(PORT)
	@echo "Serving on http://127.0.0.1:$(PORT)/ (e-mails go to var/outbox/). Ctrl-C stops it."
	@# The task worker (e-mails, back-channel logout, domain checks) runs beside the server and stops with it, by PID.
	$(DEV_ENV) $(BIN)/python manage.py db_worker --no-reload --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEV_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Hot paths under gunicorn and wrk (see README, "Benchmarks"): make bench BENCH_ARGS=--quick
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

check-deploy: $(STAMP)
	GATEHOUSE_SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	GATEHOUSE_ALLOWED_HOSTS=id.example.com GATEHOUSE_ISSUER=https://id.example.com/o GATEHOUSE_HSTS_PRELOAD=true \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} \
	GATEHOUSE_OIDC_RSA_PRIVATE_KEY="$$($(BIN)/python -c 'from portal.env import oidc_signing_key; import pathlib, tempfile; print(oidc_signing_key(pathlib.Path(tempfile.mkdtemp()) / "k.pem"))')" \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Catalogues (README, "Languages"). locale/en is kept by hand (allauth's English in the house
# style) and never extracted into; de, fr and es are (re)built from the code and templates.
# Every .mo is committed, so a clone serves every language without gettext.
TRANSLATED := de fr es
messages: $(STAMP)
	$(BIN)/python manage.py makemessages $(foreach l,$(TRANSLATED),-l $(l)) --add-location file \
		--ignore '.venv/*' --ignore 'tests/*' --ignore 'bench/*' --ignore 'var/*' \
		--ignore 'node_modules/*' --ignore 'test-artifacts/*'
	for po in locale/*/LC_MESSAGES/django.po; do msgfmt --check -o "$${po%.po}.mo" "$$po" || exit 1; done

clean:
	rm -rf $(VENV) var test-artifacts

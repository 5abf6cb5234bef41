# Cloud Factory — the two commands are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt | cksum | cut -d' ' -f1)
PYTEST_WORKERS ?= 2
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/0
AMQP_TEST_URL ?= amqp://guest:guest@127.0.0.1:5672//
MQTT_TEST_URL ?= mqtt://127.0.0.1:1883

.PHONY: run test test-services screenshots lint format bench-geometry bench-matching bench-matching-workers bench-map bench-analysis bench-web bench-pages bench-upload-memory bench-shopfloor bench install lock migrate worker

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

## The site on the embedded default: SQLite, eager Celery, in-memory channels, demo data.
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

## The whole suite on the embedded default (browser tests need /usr/bin/chromium).
test: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -m "not services" -n $(PYTEST_WORKERS) --durations=30 $(PYTEST_ARGS)

## The same suite plus the tests that need real services: PostgreSQL, Redis, RabbitMQ, Mosquitto.
test-services: install
	DATABASE_URL=$(POSTGRES_URL) REDIS_URL=$(REDIS_TEST_URL) CELERY_BROKER_URL=$(REDIS_TEST_URL) \
	CELERY_TASK_ALWAYS_EAGER=true TEST_AMQP_URL=$(AMQP_TEST_URL) MQTT_TEST_URL=$(MQTT_TEST_URL) \
	$(BIN)/pytest -n $(PYTEST_WORKERS) --durations=30 $(PYTEST_ARGS)

## Refresh the screenshots kept in docs/screenshots/ from the end-to-end story.
screenshots: install
	UPDATE_SCREENSHOTS=1 $(BIN)/pytest -p no:xdist tests/browser/test_order_story.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrate: install
	$(BIN)/python manage.py migrate --no-input

## A Celery worker for every queue (production runs one per queue, see README).
worker: install
	$(BIN)/celery -A config worker -Q default,analysis,matching,billing,webhooks -l info

bench-geometry: install
	$(BIN)/python benchmarks/bench_geometry.py

# BENCH_MATCHING_ARGS="--quick" (2 s smoke check) or "--part brandimarte" (one part)
bench-matching: install
	$(BIN)/python benchmarks/bench_matching.py $(BENCH_MATCHING_ARGS)

## Quotes per minute through real Celery workers of the matching queue, 1 then 2 processes.
bench-matching-workers: install
	$(BIN)/python benchmarks/bench_matching_workers.py $(BENCH_MATCHING_WORKERS_ARGS)

bench-map: install
	$(BIN)/python benchmarks/bench_map.py

## Isolated analysis of a 13 KB STL: the first after a start (cold) and the next ones (warm).
bench-analysis: install
	$(BIN)/python benchmarks/bench_analysis.py

## The production layout (daphne on PostgreSQL and Redis) under a page and API mix of three roles.
bench-web: install
	$(BIN)/python benchmarks/bench_web.py

## Each page of the web mix in-process (test client, embedded SQLite): ms and queries, cache empty and filled.
bench-pages: install
	$(BIN)/python benchmarks/bench_pages.py

## Peak memory of the production web server under 20 concurrent 100 MB uploads and junk bodies.
bench-upload-memory: install
	$(BIN)/python benchmarks/bench_upload_memory.py

## Events/s through the MQTT bridge and machine -> order page delay, beside the REST path
## (needs Mosquitto: BENCH_MQTT_URL, default mqtt://127.0.0.1:1883).
bench-shopfloor: install
	$(BIN)/python benchmarks/bench_shopfloor.py

bench: bench-geometry bench-matching bench-map bench-analysis

## Re-pin requirements.txt from requirements.in after changing the top-level list.
lock: install
	$(BIN)/pip install --quiet -r requirements.in
	{ echo "# Pinned by 'pip freeze' from requirements.in (the top-level list, with reasons in README.md)."; \
	  echo "# Regenerate: make lock"; $(BIN)/pip freeze; } > requirements.txt

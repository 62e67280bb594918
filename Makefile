# Trợ lý An sinh — the two commands a newcomer needs are `make run` and `make test`.
VENV := .venv
PY := $(VENV)/bin/python
export RASA_TELEMETRY_ENABLED := false
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export TF_CPP_MIN_LOG_LEVEL := 3
export PYTHONPATH := $(CURDIR)

.PHONY: setup run cluster test lint validate model rasa-test lookups bench bench-load dialogue import-data lock clean

setup:  ## build .venv with Python 3.10 and the pinned packages
	@bash bot/setup.sh

model: setup  ## train the model if config, domain or data changed
	@$(PY) -m bot.model_cache

run: setup  ## start services, action server, Rasa and the web chat on SQLite
	@$(PY) -m bot.runtime

cluster: setup  ## 2 Rasa + 2 action servers behind HAProxy on PostgreSQL + Redis (set TRACKER_STORE_URL etc., README)
	@$(PY) -m bot.cluster $(ARGS)

lookups: setup  ## regenerate data/nlu/lookups.yml from core/rules/providers.yaml
	@$(PY) -m bot.nlu.lookups

lint: setup
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/lint-imports --no-cache

validate: setup
	@$(PY) -m rasa data validate --domain domain --fail-on-warnings --quiet

test: lint validate model  ## ruff, rasa data validate, pytest (SQLite, PostgreSQL, REST conversations, test stories)
	@$(PY) -m pytest

rasa-test: model  ## the test stories (tests/stories) through NLU and policies, as `rasa test core --e2e` (~1 min)
	@$(PY) -m rasa test core --model "$$($(PY) -m bot.model_cache --print-path)" --stories tests/stories \
		--e2e --fail-on-prediction-errors --out results/stories --no-plot

bench-load: model  ## whole stack on PostgreSQL + Redis under load, ours vs stock Rasa -> bench/results.json "load" (~10 min; ARGS=--quick)
	@$(PY) -m bench.load $(ARGS)

dialogue: model  ## play the conversation set on the whole stack; prints pass rates and failures (~4 min)
	@$(PY) -m pytest tests/dialogue/test_conversation_set.py -q --tb=no -p no:cacheprovider; status=$$?; \
	$(PY) -m tests.dialogue.report; exit $$status

bench: setup  ## NLU accuracy and speed, ours vs Rasa's stock pipeline -> bench/results.json (~10 min)
	@$(PY) -m bench.run

import-data: setup  ## load CSV lists: make import-data DIR=path/to/folder
	@test -n "$(DIR)" || { echo "usage: make import-data DIR=path/to/folder" >&2; exit 2; }
	@$(PY) -m services.importer "$(DIR)"

lock:  ## re-pin constraints.txt from a fresh resolve of requirements.txt
	@bash bot/setup.sh --lock

clean:  ## remove databases, logs and trained models (not .venv)
	rm -rf var models/*.tar.gz .rasa

# One-command dev loop. `make run` starts policybot on embedded defaults (browser chat at
# http://localhost:3978); `make test` installs everything the tests need and runs them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3978
STAMP := $(VENV)/.install-stamp

.PHONY: run chat test test-fast lint eval baselines bench install browser clean messages translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/policybot serve --port $(PORT)

chat: install
	$(BIN)/policybot chat

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; fi; }

test: install browser
	$(BIN)/pytest -q

test-fast: install
	$(BIN)/pytest -q -m "not model and not browser and not slow"

lint: install
	$(BIN)/ruff check infra knowledge bot handlers policybot testkit tests scripts

eval: install
	$(BIN)/policybot eval ../shared/eval/dev_questions.jsonl
	$(BIN)/policybot eval tests/eval/own_questions.jsonl
	$(BIN)/policybot eval tests/eval/real_dev.jsonl
	$(BIN)/policybot eval tests/eval/real_test.jsonl
	$(BIN)/policybot eval --no-alternates tests/eval/real_test.jsonl

# policybot vs BM25 and plain cosine (thresholds chosen on real_dev), and the plot.
baselines: install
	$(BIN)/python scripts/baselines.py --dev tests/eval/real_dev.jsonl --no-alternates \
		tests/eval/real_dev.jsonl tests/eval/real_test.jsonl
	$(BIN)/python scripts/risk_coverage.py tests/eval/real_test.jsonl \
		--dev tests/eval/real_dev.jsonl --out docs/risk_coverage.png

bench: install
	$(BIN)/python scripts/bench_answers.py

# The message catalogue (bot/i18n.py): `messages` extracts every marked sentence into
# bot/locale/policybot.pot and merges it into each language's .po (translate the new or
# fuzzy entries there); `translations` compiles the .po files into the .mo files the code
# reads (they are committed; tests/test_i18n.py fails when one is out of date).
LOCALE := bot/locale
messages: install
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output \
		--project policybot --copyright-holder "policybot" -o $(LOCALE)/policybot.pot .
	$(BIN)/pybabel update -D policybot -i $(LOCALE)/policybot.pot -d $(LOCALE) \
		--ignore-obsolete

translations: install
	$(BIN)/pybabel compile -D policybot -d $(LOCALE) --statistics

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache

"""Starting up: a server that cannot start exits non-zero with the reason; commands that
need nothing heavy load nothing heavy."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from policybot.cli import main


def test_ask_with_an_empty_question_loads_no_model_and_exits_0(monkeypatch, tmp_path):
    def no_model():
        raise AssertionError("the model was loaded for an empty question")

    monkeypatch.setenv("POLICYBOT_DB", str(tmp_path / "p.db"))
    monkeypatch.setattr("bot.app.load_encoder", no_model)
    monkeypatch.setattr("policybot.cli._build", lambda *a, **k: no_model())
    result = CliRunner().invoke(main, ["ask", ""], catch_exceptions=False)
    assert result.exit_code == 0
    assert "I didn't get any text" in result.output


def test_serve_exits_1_naming_the_full_path_of_a_database_it_cannot_open(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    db = blocker / "policybot.db"
    env = {**os.environ, "POLICYBOT_DB": str(db)}
    result = subprocess.run([sys.executable, "-m", "policybot.cli", "serve", "--port", "0"], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "The database cannot be opened" in result.stderr and str(db) in result.stderr
    assert "listening" not in result.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_serve_exits_non_zero_when_the_core_cannot_be_built(tmp_path, workers):
    script = textwrap.dedent("""
        import sys
        import bot.app
        from policybot.cli import main

        def broken(settings, **kw):
            raise RuntimeError("model files are missing")

        bot.app.build_bot = broken
        main(["serve", "--port", "0", "--workers", sys.argv[1]])
    """)
    env = {**os.environ, "POLICYBOT_DB": str(tmp_path / "p.db")}
    result = subprocess.run([sys.executable, "-c", script, workers], env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0, result.stderr
    assert "could not start: model files are missing" in result.stderr

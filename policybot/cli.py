"""The `policybot` command: a thin layer over the Python API."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
from collections.abc import Iterator

import click

from bot.config import Settings
from bot.models import Incoming, Reply
from infra.errors import PolicybotError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except PolicybotError as e:
        raise click.ClickException(str(e)) from e


def _build(settings: Settings, **kw):
    from bot.app import build_bot

    try:
        return build_bot(settings, **kw)
    except PolicybotError as e:
        raise click.ClickException(str(e)) from e


class OneLineFormatter(logging.Formatter):
    """One record, one line: line breaks and other control characters in a message (a
    forged Slack button value, a case number typed by someone) are shown escaped, so
    nobody can write a line of their own into the server log."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return escape_controls(super().formatMessage(record))


def escape_controls(text: str) -> str:
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def setup_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:  # (under pytest its handler is kept: only the levels change)
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    # Library loggers stay at WARNING even with DEBUG: some log whole request bodies (Slack
    # receipts with case keys, Teams activities), which would break reporters' anonymity.
    for noisy in ("sentence_transformers", "bm25s", "httpx", "urllib3", "msrest", "msal",
                  "aiohttp.access", "aiohttp.client", "transformers", "huggingface_hub",
                  "slack_sdk", "slack_bolt", "policybot.slack.bolt", "botbuilder",
                  "botframework"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


@click.group()
@click.version_option(package_name="policybot")
def main() -> None:
    """policybot: LAUSD social media policy answers, post reports and case review."""
    setup_logging(_settings().log_level)


def answer_json(question: str, reply: Reply) -> dict:
    answer = reply.data.get("short_answer", reply.text)
    return {"question": question, "status": reply.status or "no_answer", "answer": answer,
            "citations": [c.to_dict() for c in reply.citations],
            "confidence": reply.confidence, "uncertain": reply.uncertain,
            "offers_report": reply.offers_report}


@main.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question.")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Answer from the bulletins in force on this date (YYYY-MM-DD).")
def ask(question: str, as_json: bool, as_of) -> None:
    """Answer QUESTION (use - to read one question per line from stdin)."""
    from bot.core import clean_text, input_problem

    bot = None  # built at the first question that needs it: an empty one loads no model
    questions = sys.stdin if question == "-" else [question]
    for raw in questions:
        raw = raw.rstrip("\n") if question == "-" else raw
        text = clean_text(raw)
        problem = input_problem(raw, text)
        if problem:
            reply = Reply(kind="error", text=problem)
        else:
            bot = bot or _build(_settings())
            reply = bot.answer_question(Incoming(text=text, conversation_id="cli:ask",
                                                 user_id="cli:local", platform="cli"),
                                        start_report=False, remember=False,
                                        as_of=as_of.date() if as_of else None)[0]
        if as_json:
            out = answer_json(raw, reply)
            if reply.kind == "error":
                out.update(status="error", answer=reply.text)
            click.echo(json.dumps(out, ensure_ascii=False))
        else:
            from handlers.console import Style, render_text

            click.echo(render_text([reply], style=Style.for_stream(sys.stdout)))
        sys.stdout.flush()


@contextlib.contextmanager
def quiet_terminal() -> Iterator[None]:
    """Keep log lines and the model's progress bars out of a terminal conversation while it
    lasts: only errors are logged (to stderr), and libraries draw no progress bars."""
    handlers = logging.getLogger().handlers  # every record, a library's too, ends here
    levels = [h.level for h in handlers]
    quiet = {"HF_HUB_DISABLE_PROGRESS_BARS": "1", "TQDM_DISABLE": "1",
             "TRANSFORMERS_VERBOSITY": "error"}
    saved = {name: os.environ.get(name) for name in quiet}
    for handler in handlers:
        handler.setLevel(logging.ERROR)
    for name, value in quiet.items():
        os.environ.setdefault(name, value)
    try:
        yield
    finally:
        for handler, level in zip(handlers, levels, strict=True):
            handler.setLevel(level)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)


@main.command()
@click.option("--verbose", is_flag=True, help="Show log lines (POLICYBOT_LOG_LEVEL) and the "
              "model's loading progress in the conversation.")
def chat(verbose: bool) -> None:
    """Talk to policybot in the terminal (the same core as Slack, Teams and the web)."""
    from handlers.console import Style, run_console

    with contextlib.nullcontext() if verbose else quiet_terminal():
        if not verbose:
            click.echo("Starting policybot…", err=True)
        run_console(_build(_settings()), style=Style.for_stream(sys.stdout))


@main.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True)
@click.option("--no-alternates", is_flag=True,
              help="Evaluate with every entry's alternate questions removed (in memory), as "
                   "for a bulletin an administrator adds with clause texts and titles only.")
def eval_cmd(file: str, as_json: bool, no_alternates: bool) -> None:
    """Right / hedged / wrong on a question file: the dev format ({"q","expect","cat"}) or
    the real-question format ({"q","source","label","also",...}); see knowledge/evaluate.py."""
    from knowledge.evaluate import evaluate, format_result, read_questions, without_alternates

    bot = _build(_settings())
    try:
        rows = read_questions(file)
    except (ValueError, KeyError) as e:
        raise click.ClickException(str(e)) from e
    retriever = bot.retriever
    if no_alternates:
        from knowledge.answer import Retriever

        retriever = Retriever(without_alternates(bot.kb), retriever.encoder, storage=None,
                              calibration=retriever.cal)
    result = evaluate(rows, retriever.decide)
    click.echo(json.dumps(result.to_dict(), indent=2) if as_json else format_result(result))


@main.group()
def knowledge() -> None:
    """Check, index, add to and list the knowledge base."""


@knowledge.command("check")
def knowledge_check() -> None:
    """Validate every bulletin file: schema, unique ids, dangling references."""
    from knowledge.loader import load_knowledge

    settings = _settings()
    try:
        kb = load_knowledge(settings.knowledge_dir)
    except PolicybotError as e:
        raise click.ClickException(str(e)) from e
    click.echo(f"OK: {len(kb.entries)} entries in {len(kb.bulletins)} bulletins "
               f"({settings.knowledge_dir})")


@knowledge.command("index")
def knowledge_index() -> None:
    """Rebuild the embedding cache (with a progress bar)."""
    settings = _settings()
    state = {"bar": None}

    def progress(done: int, total: int) -> None:
        if state["bar"] is None:
            state["bar"] = click.progressbar(length=total, label="Encoding")
            state["bar"].__enter__()
        state["bar"].update(done - state["bar"].pos)

    bot = _build(settings, rebuild_index=True, progress=progress)
    if state["bar"] is not None:
        state["bar"].__exit__(None, None, None)
    click.echo(f"Indexed {len(bot.retriever.items)} texts of {len(bot.kb.entries)} entries "
               f"into {settings.db_path}")


@main.command()
@click.option("--host", default=None, help="Interface to listen on (default POLICYBOT_HOST or "
              "127.0.0.1; use 0.0.0.0 in a container or on a PaaS).")
@click.option("--port", type=int, default=None, help="Port (default $PORT or 3978).")
@click.option("--workers", type=click.IntRange(1, 16), default=None,
              help="Server processes sharing the port (default POLICYBOT_WORKERS or 1; "
                   "2 on a 2-core machine doubles the questions answered per second).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the browser chat, admin console, Slack and Teams."""
    from handlers.server import serve as run
    from knowledge.loader import load_knowledge

    settings = _settings()
    try:
        load_knowledge(settings.knowledge_dir)  # refuse to start on an invalid knowledge base
    except PolicybotError as e:
        raise click.ClickException(str(e)) from e
    try:
        run(settings, host or settings.host, port or settings.port,
            workers or settings.workers)
    except PolicybotError as e:  # e.g. the database cannot be opened (--workers migrates first)
        raise click.ClickException(str(e)) from e


def _register_commands() -> None:
    from handlers.teams_package import teams_package
    from policybot.cli_admins import admins
    from policybot.cli_alerts import alerts
    from policybot.cli_cases import cases
    from policybot.cli_knowledge import knowledge_add, knowledge_list
    from policybot.cli_maintenance import backup, retention

    for command in (cases, admins, alerts, teams_package, backup, retention):
        main.add_command(command)
    knowledge.add_command(knowledge_add)
    knowledge.add_command(knowledge_list)


_register_commands()

if __name__ == "__main__":
    main()

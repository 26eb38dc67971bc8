"""Composition of the core: settings -> storage, knowledge, retriever, case store, desks."""

from __future__ import annotations

import logging

import yaml

from bot.config import Settings
from bot.core import Bot
from bot.events import EventBus
from infra.db import Storage
from knowledge.answer import Retriever
from knowledge.calibration import NEGATIVES_FILE
from knowledge.index import Encoder
from knowledge.loader import KnowledgeBase, load_knowledge
from knowledge.versions import PrimedEncoder, RetrieverViews, in_force, view

log = logging.getLogger(__name__)


def load_encoder() -> Encoder:
    from knowledge.index import BatchingEncoder, ModelEncoder

    return BatchingEncoder(ModelEncoder())


def build_retrievers(kb: KnowledgeBase, encoder: Encoder, storage: Storage | None,
                     rebuild: bool = False, progress=None) -> tuple[Retriever, RetrieverViews]:
    """The retriever over the bulletins in force today (all of them if none is yet) and
    the views that answer for other dates."""
    current = in_force(kb)
    negatives = None
    if kb.not_covered:  # questions marked not covered are out-of-scope examples too
        negatives = [*yaml.safe_load(NEGATIVES_FILE.read_text(encoding="utf-8")),
                     *kb.not_covered]
    retriever = Retriever(view(kb, current) if any(e.bulletin in current for e in kb.entries)
                          else kb, encoder, storage, rebuild=rebuild, progress=progress,
                          negatives=negatives)
    return retriever, RetrieverViews(
        kb, retriever, lambda kb_, enc: Retriever(kb_, enc, None, negatives=negatives))


def reload_knowledge(bot: Bot) -> int:
    """Load the knowledge folder again and swap it into `bot` once everything is built
    (requests meanwhile use the old one). Raises KnowledgeError, leaving `bot` as it was.
    Returns the number of entries."""
    from threadpoolctl import threadpool_limits

    kb = load_knowledge(bot.settings.knowledge_dir)
    old = bot.retriever
    primed = isinstance(old.encoder, PrimedEncoder)
    # Only texts that are new are sent to the model (the out-of-scope examples are kept
    # from the last reload too), and the classifier trains on one core: the other keeps
    # answering while a reload runs.
    known = dict(old.encoder.known) if primed else {}
    known.update(zip((it.text for it in old.items), old.item_vectors, strict=True))
    encoder = PrimedEncoder(old.encoder.inner if primed else old.encoder, known)
    with threadpool_limits(limits=1):
        retriever, views = build_retrievers(kb, encoder, bot.storage)
    encoder.learning = False
    bot.use_knowledge(kb, retriever, views)
    return len(kb.entries)


def build_bot(settings: Settings, encoder: Encoder | None = None, rebuild_index: bool = False,
              progress=None) -> Bot:
    """Everything the front ends share. Raises KnowledgeError on an invalid knowledge base
    (before any model is loaded) and StorageError when the database cannot be opened."""
    from bot.admin_accounts import AdminAccounts
    from bot.admin_commands import AdminDesk
    from bot.administrators import Administrators
    from bot.alerts import Alerts
    from bot.announcements import Announcements
    from bot.case_desk import CaseDesk
    from bot.cases import CaseStore
    from bot.knowledge_desk import KnowledgeDesk
    from bot.reporting import ReportDesk

    kb = load_knowledge(settings.knowledge_dir)
    storage = Storage(settings.db_path, secret_key=settings.secret_key)
    storage.migrate()
    retriever, views = build_retrievers(kb, encoder or load_encoder(), storage,
                                        rebuild=rebuild_index, progress=progress)
    events = EventBus(storage)
    bot = Bot(settings, storage, kb, retriever, events)
    bot.views = views
    admins = Administrators(settings, AdminAccounts(storage))
    bot.cases = CaseStore(storage, settings, events, admins)
    bot.reports = ReportDesk(
        storage, bot.cases, settings, events,
        answer_question=lambda inc: bot.answer_question(inc, start_report=False, remember=False),
        match_policies=bot.match_policies)
    bot.case_desk = CaseDesk(bot.cases)
    bot.announcements = Announcements(storage, events, bot.case_desk)
    bot.alerts = Alerts(storage, settings, events)
    bot.admin = AdminDesk(bot.case_desk)
    bot.knowledge_desk = KnowledgeDesk(storage, settings, is_admin=admins.is_admin)
    bot.desks = [bot.reports.handle, bot.admin.handle]
    return bot

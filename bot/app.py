"""Composition of the core: settings -> storage, knowledge, retriever, case store, desks."""

from __future__ import annotations

import logging

from bot.config import Settings
from bot.core import Bot
from bot.db import Storage
from bot.events import EventBus
from knowledge.answer import Retriever
from knowledge.index import Encoder
from knowledge.loader import load_knowledge

log = logging.getLogger(__name__)


def load_encoder() -> Encoder:
    from knowledge.index import BatchingEncoder, ModelEncoder

    return BatchingEncoder(ModelEncoder())


def build_bot(settings: Settings, encoder: Encoder | None = None, rebuild_index: bool = False,
              progress=None) -> Bot:
    """Everything the front ends share. Raises KnowledgeError on an invalid knowledge base
    (before any model is loaded) and StorageError when the database cannot be opened."""
    from bot.admin_accounts import AdminAccounts
    from bot.admin_commands import AdminDesk
    from bot.announcements import Announcements
    from bot.case_view import CaseDesk
    from bot.cases import CaseStore
    from bot.reporting import ReportDesk

    kb = load_knowledge(settings.knowledge_dir)
    storage = Storage(settings.db_path, secret_key=settings.secret_key)
    storage.migrate()
    retriever = Retriever(kb, encoder or load_encoder(), storage, rebuild=rebuild_index,
                          progress=progress)
    events = EventBus(storage)
    bot = Bot(settings, storage, kb, retriever, events)
    accounts = AdminAccounts(storage)
    bot.cases = CaseStore(storage, settings, events,
                          is_admin=lambda a: settings.is_admin(a) or accounts.is_admin_actor(a))
    bot.reports = ReportDesk(
        storage, bot.cases, settings, events,
        answer_question=lambda inc: bot.answer_question(inc, start_report=False, remember=False),
        match_policies=bot.match_policies)
    bot.case_desk = CaseDesk(bot.cases)
    bot.announcements = Announcements(storage, events, bot.case_desk)
    bot.admin = AdminDesk(bot.case_desk)
    bot.desks = [bot.reports.handle, bot.admin.handle]
    return bot

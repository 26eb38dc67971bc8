"""Schema changes, numbered, applied at start (sqlite-utils Migrations).

Append new migrations at the end with the next number; never edit one that has shipped.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("policybot")


@migrations(name="0001_core")
def m0001_core(db: Database) -> None:
    # Per-conversation state: a report in progress, the last question (for follow-ups).
    db["conversations"].create(
        {"id": str, "state": str, "updated_at": str}, pk="id")
    # Questions asked, for the knowledge-gaps review. No user ids, ever.
    db["questions"].create(
        {"id": int, "asked_at": str, "platform": str, "text": str, "status": str,
         "confidence": float, "top_entry": str}, pk="id")
    db["questions"].create_index(["asked_at"])
    db["feedback"].create(
        {"id": int, "question_id": int, "helpful": int, "created_at": str}, pk="id",
        foreign_keys=[("question_id", "questions", "id")])
    # Cached embeddings keyed by model and content hash.
    db["embedding_cache"].create(
        {"key": str, "model": str, "content_hash": str, "dim": int, "count": int,
         "vectors": bytes, "created_at": str}, pk="key")
    # Platform events already handled (Slack event ids, Teams activity ids, view ids).
    db["processed_events"].create({"key": str, "created_at": str}, pk="key")
    # Small key/value settings the app generates for itself (e.g. a cookie-signing key).
    db["app_settings"].create({"key": str, "value": str}, pk="key")


@migrations(name="0002_cases")
def m0002_cases(db: Database) -> None:
    # The case log. `number` is "YYYY-NNNN", gapless per year (allocated under the write lock).
    # reporter is NULL for anonymous reports; key_hash is a SHA-256 of their secret case key.
    db.execute("""
        CREATE TABLE cases (
            id INTEGER PRIMARY KEY,
            number TEXT NOT NULL UNIQUE,
            year INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            category TEXT NOT NULL,
            urgency TEXT NOT NULL CHECK (urgency IN ('urgent', 'normal')),
            platform TEXT NOT NULL,
            link TEXT,
            seen_on TEXT,
            target TEXT NOT NULL,
            description TEXT NOT NULL,
            matched_policy_ids TEXT NOT NULL DEFAULT '[]',
            status TEXT NOT NULL DEFAULT 'new' CHECK (status IN
                ('new', 'triaged', 'investigating', 'resolved', 'dismissed')),
            dismiss_reason TEXT CHECK (dismiss_reason IS NULL OR dismiss_reason IN
                ('duplicate', 'unfounded', 'out_of_scope', 'referred')),
            assignee TEXT,
            reporter TEXT,
            key_hash TEXT UNIQUE,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            UNIQUE (year, seq),
            CHECK (reporter IS NULL OR key_hash IS NULL)
        )""")
    db.execute("CREATE INDEX idx_cases_status ON cases (status)")
    db.execute("CREATE INDEX idx_cases_reporter ON cases (reporter)")
    # Append-only audit trail. case_number has no foreign key: a denied attempt may name a
    # case that does not exist, and that attempt is still recorded.
    db.execute("""
        CREATE TABLE case_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            case_number TEXT,
            action TEXT NOT NULL,
            actor TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_case_events_case ON case_events (case_number)")
    db.execute("""
        CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
        BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END""")
    db.execute("""
        CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
        BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END""")
    # Questions from administrators to the reporter, and the reporter's answers.
    db.execute("""
        CREATE TABLE case_messages (
            id INTEGER PRIMARY KEY,
            case_number TEXT NOT NULL REFERENCES cases (number),
            direction TEXT NOT NULL CHECK (direction IN ('question', 'answer')),
            author TEXT NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_case_messages_case ON case_messages (case_number)")


@migrations(name="0004_teams")
def m0004_teams(db: Database) -> None:
    # Where the Teams front end may post proactively (Bot Framework conversation references,
    # JSON). The admin channel for new cases is chosen by an administrator in Teams
    # ("@policybot use this channel for cases"); only one is active (id = 1).
    db["teams_admin_channels"].create(
        {"id": int, "reference": str, "set_by": str, "set_at": str}, pk="id")
    # A Teams user's personal (1:1) chat with the bot, for private replies to channel
    # requests and for proactive questions to named reporters. Keyed by "teams:<id>".
    db["teams_user_conversations"].create(
        {"user_id": str, "reference": str, "updated_at": str}, pk="user_id")


@migrations(name="0005_admin_accounts")
def m0005_admin_accounts(db: Database) -> None:
    # Admin console accounts (managed with `policybot admins`). password_hash is argon2id;
    # locked_until is set after repeated failed sign-ins.
    db.execute("""
        CREATE TABLE admin_accounts (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            failed_count INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            last_signin_at TEXT
        )""")
    # Every sign-in attempt to the admin console: ok | failed | locked | unknown.
    db.execute("""
        CREATE TABLE admin_signins (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            outcome TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX idx_admin_signins_name ON admin_signins (name)")


@migrations(name="0006_retention")
def m0006_retention(db: Database) -> None:
    # `policybot retention` deletes closed cases past the district's retention period. Each
    # run is recorded here (append-only): when, who, the cutoff, counts and case numbers.
    db.execute("""
        CREATE TABLE retention_log (
            id INTEGER PRIMARY KEY,
            run_at TEXT NOT NULL,
            actor TEXT NOT NULL,
            older_than_days INTEGER NOT NULL,
            cutoff TEXT NOT NULL,
            cases INTEGER NOT NULL,
            events INTEGER NOT NULL,
            messages INTEGER NOT NULL,
            case_numbers TEXT NOT NULL DEFAULT '[]'
        )""")
    db.execute("""
        CREATE TRIGGER retention_log_no_update BEFORE UPDATE ON retention_log
        BEGIN SELECT RAISE(ABORT, 'retention_log is append-only'); END""")
    db.execute("""
        CREATE TRIGGER retention_log_no_delete BEFORE DELETE ON retention_log
        BEGIN SELECT RAISE(ABORT, 'retention_log is append-only'); END""")
    # The guard: the case numbers a retention run is purging. Rows are inserted and removed
    # inside the run's one transaction, so no other connection ever sees one, and only a
    # closed case (resolved or dismissed) may be listed.
    db.execute("CREATE TABLE retention_purge (case_number TEXT PRIMARY KEY)")
    db.execute("""
        CREATE TRIGGER retention_purge_closed_only BEFORE INSERT ON retention_purge
        WHEN NOT EXISTS (SELECT 1 FROM cases WHERE number = NEW.case_number
                         AND status IN ('resolved', 'dismissed'))
        BEGIN SELECT RAISE(ABORT, 'only closed cases can be purged'); END""")
    # case_events stays append-only except for the events of a case being purged; cases and
    # case_messages get the same guard (nothing else deletes them).
    db.execute("DROP TRIGGER case_events_no_delete")
    db.execute("""
        CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
        WHEN NOT EXISTS (SELECT 1 FROM retention_purge WHERE case_number = OLD.case_number)
        BEGIN SELECT RAISE(ABORT, 'case_events is append-only'); END""")
    for table, column in (("cases", "number"), ("case_messages", "case_number")):
        db.execute(f"""
            CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            WHEN NOT EXISTS (SELECT 1 FROM retention_purge WHERE case_number = OLD.{column})
            BEGIN SELECT RAISE(ABORT, '{table} rows are only deleted by retention'); END""")


@migrations(name="0007_slack_case_posts")
def m0007_slack_case_posts(db: Database) -> None:
    # Where each case was announced in the Slack admin channel, so the post can be updated
    # when the case is claimed or changes status.
    db.execute("""
        CREATE TABLE slack_case_posts (
            case_number TEXT PRIMARY KEY REFERENCES cases(number) ON DELETE CASCADE,
            channel TEXT NOT NULL,
            ts TEXT NOT NULL)""")


@migrations(name="0008_outbox")
def m0008_outbox(db: Database) -> None:
    # Core events written in the same transaction as the change they announce, so a front
    # end in any process (a second worker, the server after a CLI command or a crash)
    # delivers each of them once. outbox_done records which consumer took which event.
    db.execute("""
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL)""")
    db.execute("CREATE INDEX outbox_created_at ON outbox (created_at)")
    db.execute("""
        CREATE TABLE outbox_done (
            event_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
            consumer TEXT NOT NULL,
            done_at TEXT NOT NULL,
            PRIMARY KEY (event_id, consumer))""")


@migrations(name="0009_keyed_ids")
def m0009_keyed_ids(db: Database) -> None:
    # Platform ids are now stored as keyed hashes (infra.keys). Rows keyed the old way (clear
    # conversation ids, plain SHA-256 of Teams ids, clear de-duplication keys) can no
    # longer be found and would only say who talked to the bot: drop them. A report in
    # progress starts over; a Teams personal chat is learnt again at the next message.
    db.execute("DELETE FROM conversations")
    db.execute("DELETE FROM processed_events")
    db.execute("DELETE FROM teams_user_conversations WHERE user_id LIKE 'sha256:%'")


@migrations(name="0010_admin_sessions")
def m0010_admin_sessions(db: Database) -> None:
    # Sign-out ends every session of the account (session_epoch is part of the session
    # version). The cookie-signing key is derived from the secret key kept outside the
    # database now: the one stored here would let a backup forge console sessions.
    db.execute("ALTER TABLE admin_accounts ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0")
    db.execute("DELETE FROM app_settings WHERE key = 'web_session_secret'")


@migrations(name="0011_case_posts")
def m0011_case_posts(db: Database) -> None:
    # Where each case was announced, for every front end alike (bot.announcements): the
    # platform's reference to the post (Slack: channel and ts) as JSON, so the post can be
    # updated. Replaces slack_case_posts, whose rows are carried over.
    db.execute("""
        CREATE TABLE case_posts (
            case_number TEXT NOT NULL REFERENCES cases(number) ON DELETE CASCADE,
            platform TEXT NOT NULL,
            reference TEXT NOT NULL,
            posted_at TEXT NOT NULL,
            PRIMARY KEY (case_number, platform))""")
    db.execute("""
        INSERT INTO case_posts (case_number, platform, reference, posted_at)
        SELECT case_number, 'slack', json_object('channel', channel, 'ts', ts),
               strftime('%Y-%m-%dT%H:%M:%S', 'now')
        FROM slack_case_posts""")
    db.execute("DROP TABLE slack_case_posts")


@migrations(name="0012_knowledge_drafts")
def m0012_knowledge_drafts(db: Database) -> None:
    # Documents uploaded in the console, waiting to be published or discarded (any worker
    # may show or publish them), and the append-only trail of every knowledge change.
    db.execute("""
        CREATE TABLE knowledge_drafts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            file_name TEXT NOT NULL,
            data BLOB NOT NULL,
            options TEXT NOT NULL DEFAULT '{}',
            bulletin TEXT,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'published', 'discarded')),
            uploaded_by TEXT NOT NULL,
            created_at TEXT NOT NULL)""")
    db.execute("""
        CREATE TABLE knowledge_events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            action TEXT NOT NULL,
            actor TEXT NOT NULL,
            bulletin TEXT,
            file_name TEXT,
            detail TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL)""")
    db.execute("""
        CREATE TRIGGER knowledge_events_no_update BEFORE UPDATE ON knowledge_events
        BEGIN SELECT RAISE(ABORT, 'knowledge_events is append-only'); END""")
    db.execute("""
        CREATE TRIGGER knowledge_events_no_delete BEFORE DELETE ON knowledge_events
        BEGIN SELECT RAISE(ABORT, 'knowledge_events is append-only'); END""")


@migrations(name="0013_reporter_contact")
def m0013_reporter_contact(db: Database) -> None:
    # A named report from a platform that does not say who the person is (the browser chat)
    # carries the name and e-mail the reporter gave. NULL for anonymous reports, always.
    db.execute("ALTER TABLE cases ADD COLUMN reporter_name TEXT")
    db.execute("ALTER TABLE cases ADD COLUMN reporter_email TEXT")


@migrations(name="0014_alert_queue")
def m0014_alert_queue(db: Database) -> None:
    # Alerts waiting to go out by e-mail or webhook (bot/alerts.py), one row per channel:
    # `key` is "urgent:2026-0007" or "digest:2026-12-02", so planning one twice (two
    # workers, a replayed event) adds nothing. `payload` holds only what an alert may say
    # (AlertCase in bot/alert_messages.py: never masked text). A worker takes a row by setting
    # lease_until, so two workers do not send it both.
    db.execute("""
        CREATE TABLE alert_queue (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
            key TEXT NOT NULL,
            payload TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'failed', 'skipped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_try_at TEXT NOT NULL,
            lease_until TEXT,
            last_error TEXT,
            created_at TEXT NOT NULL,
            sent_at TEXT,
            UNIQUE (channel, key))""")
    db.execute("CREATE INDEX alert_queue_pending ON alert_queue (status, next_try_at)")


@migrations(name="0015_case_duplicates_and_reads")
def m0015_case_duplicates_and_reads(db: Database) -> None:
    # An administrator's link from a case to the one it duplicates (at most one each; the
    # link and unlink are in the audit trail).
    db.execute("""
        CREATE TABLE case_duplicates (
            case_number TEXT PRIMARY KEY REFERENCES cases(number) ON DELETE CASCADE,
            duplicate_of TEXT NOT NULL REFERENCES cases(number) ON DELETE CASCADE,
            linked_by TEXT NOT NULL,
            linked_at TEXT NOT NULL,
            CHECK (case_number != duplicate_of))""")
    db.execute("CREATE INDEX idx_case_duplicates_of ON case_duplicates (duplicate_of)")
    # The last reporter's answer each administrator has seen on a case (the unread marker).
    db.execute("""
        CREATE TABLE case_reads (
            case_number TEXT NOT NULL REFERENCES cases(number) ON DELETE CASCADE,
            actor TEXT NOT NULL,
            seen_message_id INTEGER NOT NULL DEFAULT 0,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (case_number, actor))""")


@migrations(name="0016_reporter_language")
def m0016_reporter_language(db: Database) -> None:
    # The language a named reporter filed in ("en", "es"; bot/i18n.py), so what policybot
    # sends them later about the report (an administrator's question by Slack or Teams
    # message, the e-mail notice) is in it. NULL for cases filed before, and for anonymous
    # reports always: the CHECK refuses a language on a case without a reporter.
    db.execute("ALTER TABLE cases ADD COLUMN reporter_lang TEXT "
               "CHECK (reporter_lang IS NULL OR reporter IS NOT NULL)")

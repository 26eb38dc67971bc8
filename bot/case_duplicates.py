"""Duplicate reports: the same post reported twice.

A case whose link is the same as another case's (compared as `link_key` makes it: no
scheme, no "www.", host in lower case, no trailing slash) is a *possible* duplicate. An
administrator links it to the case it duplicates, or unlinks it; both are audited. The
link itself is masked text: what is said about a match is only the other case's number,
never the link.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.cases import CASE_NUMBER, like_pattern
from bot.events import CaseUpdated
from infra.clock import now_iso
from infra.errors import InvalidTransitionError

# The "links" that are not one: a reporter who had nothing to paste.
NO_LINK = {"", "-", "none", "n/a", "na", "no"}


def _parts(link: str | None) -> tuple[str, str] | None:
    """(host with any unusual port, path and query) as compared, or None for no link."""
    text = (link or "").strip()
    if text.lower() in NO_LINK:
        return None
    try:
        parts = urlsplit(text if "://" in text else "//" + text.lstrip("/"))
        port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    except ValueError:  # a port that is not a number: not a link to compare
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host:
        return None
    return host + port, parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")


def link_key(link: str | None) -> str | None:
    """The link as compared for duplicates, or None when there is none."""
    parts = _parts(link)
    return "".join(parts) if parts else None


def _order(number: str) -> tuple[int, int]:
    year, seq = number.split("-")
    return int(year), int(seq)


@dataclass(frozen=True)
class DuplicateFacts:
    """Case numbers only. `possible_of`: earlier cases with the same link; `possibly_by`:
    later ones; `of`: the case this one is linked to; `linked`: cases linked to this one."""
    possible_of: tuple[str, ...] = ()
    possibly_by: tuple[str, ...] = ()
    of: str | None = None
    linked: tuple[str, ...] = ()


class Duplicates:
    """Finding and linking duplicates; permission is checked by the `CaseStore`."""

    def __init__(self, cases):
        self.cases = cases

    def facts(self, number: str) -> DuplicateFacts:
        """For a case the caller may already see (no audit entry of its own)."""
        db = self.cases.storage.db
        row = self.cases._fetch(db, number)
        of = db.execute("SELECT duplicate_of FROM case_duplicates WHERE case_number = ?",
                        [number]).fetchone()
        linked = tuple(r[0] for r in db.execute(
            "SELECT case_number FROM case_duplicates WHERE duplicate_of = ?", [number]))
        known = set(linked) | ({of[0]} if of else set())
        parts = _parts(row["link"])
        same = []
        if parts is not None:
            # SQL narrows by the path (or host) as text, any case; link_key decides.
            candidates = db.query(
                "SELECT number, link FROM cases WHERE link LIKE ? ESCAPE '\\' AND number != ?",
                [like_pattern(parts[1] or parts[0]), number])
            same = sorted((r["number"] for r in candidates if link_key(r["link"]) ==
                           "".join(parts) and r["number"] not in known), key=_order)
        here = _order(number)
        return DuplicateFacts(
            possible_of=tuple(n for n in same if _order(n) < here),
            possibly_by=tuple(n for n in same if _order(n) > here),
            of=of[0] if of else None, linked=tuple(sorted(linked, key=_order)))

    def link(self, number: str, original: str, actor: str) -> None:
        """Record that case `number` duplicates case `original`."""
        self.cases._require_admin(actor, "link_duplicate", number)
        if not CASE_NUMBER.fullmatch(original or ""):
            raise ValueError("Say which case this one duplicates: a case number like "
                             "2026-0001.")
        with self.cases.storage.write() as db:
            self.cases._fetch(db, number)
            self.cases._fetch(db, original)
            if original == number:
                raise InvalidTransitionError("A case cannot be a duplicate of itself.")
            current = db.execute("SELECT duplicate_of FROM case_duplicates WHERE "
                                 "case_number = ?", [number]).fetchone()
            if current:
                raise InvalidTransitionError(f"Case {number} is already linked as a duplicate "
                                             f"of {current[0]}: unlink it first.")
            step = original
            while step is not None:  # no loops: the original must not lead back here
                if step == number:
                    raise InvalidTransitionError(f"Case {original} is itself a duplicate of "
                                                 f"{number}: link the other way round.")
                found = db.execute("SELECT duplicate_of FROM case_duplicates WHERE "
                                   "case_number = ?", [step]).fetchone()
                step = found[0] if found else None
            db.execute("INSERT INTO case_duplicates (case_number, duplicate_of, linked_by, "
                       "linked_at) VALUES (?, ?, ?, ?)", [number, original, actor, now_iso()])
            recorded = self._changed(db, number, "duplicate_linked", actor, original)
        self.cases.bus.publish(*recorded)

    def unlink(self, number: str, actor: str) -> str:
        """Remove case `number`'s duplicate link; returns the case it was linked to."""
        self.cases._require_admin(actor, "unlink_duplicate", number)
        with self.cases.storage.write() as db:
            self.cases._fetch(db, number)
            current = db.execute("SELECT duplicate_of FROM case_duplicates WHERE "
                                 "case_number = ?", [number]).fetchone()
            if not current:
                raise InvalidTransitionError(f"Case {number} is not linked as a duplicate.")
            db.execute("DELETE FROM case_duplicates WHERE case_number = ?", [number])
            recorded = self._changed(db, number, "duplicate_unlinked", actor, current[0])
        self.cases.bus.publish(*recorded)
        return current[0]

    def _changed(self, db, number: str, action: str, actor: str,
                 original: str) -> tuple[CaseUpdated, int]:
        """The audit entry and the core event, in the change's transaction; the caller
        publishes the event once it is committed."""
        self.cases._event(db, number, action, actor, {"of": original})
        db.execute("UPDATE cases SET updated_at = ? WHERE number = ?", [now_iso(), number])
        event = CaseUpdated(number=number, action=action)
        return event, self.cases.bus.record(db, event)

"""One small exception hierarchy. Conversation validation problems are values, not exceptions."""


class PolicybotError(Exception):
    """Base class: every error policybot raises on purpose."""


class ConfigError(PolicybotError):
    """Bad or missing settings; the message names every bad key."""


class KnowledgeError(PolicybotError):
    """The knowledge base is invalid; the message names each file and entry."""


class NotPermittedError(PolicybotError):
    """The actor may not do this (e.g. a non-admin touching cases)."""


class CaseNotFoundError(PolicybotError):
    """No case with that number."""


class InvalidTransitionError(PolicybotError):
    """A case status change the workflow does not allow."""


class InputTooLargeError(PolicybotError):
    """Input over a stated limit; nothing was stored."""


class StorageError(PolicybotError):
    """The database could not be read or written (locked, read-only, disk full)."""

"""Text hygiene shared by the chat core and the report forms."""

import re

_SURROGATE = re.compile(r"[\ud800-\udfff]")


def replace_lone_surrogates(text: str) -> str:
    """Lone UTF-16 surrogates (possible in JSON from a platform) cannot be stored as UTF-8:
    each becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)

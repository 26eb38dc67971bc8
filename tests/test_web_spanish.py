"""The browser chat in Spanish, in a real headless Chromium: the page's `lang` follows the
language of the reply, the reply's labels and buttons are Spanish, and a reload shows the
page in the conversation's language. The fake encoder is enough."""

from __future__ import annotations

import pytest
from browser.helpers import send_chat

pytestmark = pytest.mark.browser
PHOTOS = "¿Puedo publicar fotos de mis estudiantes en Instagram?"


def lang(page) -> str:
    return page.evaluate("document.documentElement.lang")


def test_the_page_language_follows_the_reply(page):
    assert lang(page) == "en"
    answer = send_chat(page, PHOTOS)
    assert lang(page) == "es"
    assert answer.locator(".msg").get_attribute("lang") == "es"
    assert answer.locator(".sources").inner_text().startswith("Fuente:")
    assert answer.get_by_role("button", name="Útil", exact=True).is_visible()
    page.reload()
    assert lang(page) == "es"  # the conversation's language, kept with its state
    assert page.locator("#send").inner_text() == "Enviar"
    send_chat(page, "Can I post photos of my students on Instagram?")
    assert lang(page) == "en"

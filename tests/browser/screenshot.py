"""Make docs/screenshot-chat.png: the browser chat answering a question.

    .venv/bin/python tests/browser/screenshot.py [--fake]   (--fake: no model, faster)

Uses a throwaway database and the system Chromium, like the browser tests.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]  # browser.helpers lives in tests/

from bot.app import build_bot
from bot.config import Settings
from browser.helpers import CHROMIUM, CHROMIUM_ARGS, LiveServer


def main(fake: bool = False, out: Path = ROOT / "docs" / "screenshot-chat.png") -> Path:
    from playwright.sync_api import sync_playwright

    settings = Settings.from_env({"POLICYBOT_DB": str(Path(tempfile.mkdtemp()) / "shot.db")})
    encoder = None
    if fake:
        from testkit.fake_encoder import FakeEncoder

        encoder = FakeEncoder()
    bot = build_bot(settings, encoder=encoder)
    with LiveServer(bot, settings) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1000, "height": 900})
        page.goto(server.url + "/")
        page.fill("#text", "Can I friend a parent on Facebook?")
        page.press("#text", "Enter")
        page.locator(".turn").first.wait_for()
        page.screenshot(path=str(out), full_page=True)
        browser.close()
    return out


if __name__ == "__main__":
    print(main(fake="--fake" in sys.argv))

"""Make docs/screenshot-cases-phone.png: the console's case list (age, overdue, a new
reply, bulk change) on a 390 px phone (scripts/screenshots.py takes the desktop pages).

    .venv/bin/python tests/browser/screenshot_cases.py

Uses a throwaway database, the fake encoder and the system Chromium, like the browser tests.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from bot.app import build_bot
from bot.config import Settings
from browser.helpers import (
    ADMIN_NAME,
    ADMIN_PASSWORD,
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveServer,
    add_admin,
    file_report,
)
from testkit.fake_encoder import FakeEncoder

CASES = [  # (hours ago, danger, category, platform, link, named)
    (30, "no", "harassing", "facebook", "https://facebook.com/p/1", False),
    (20, "no", "student_identified", "instagram", "", True),
    (6, "yes", "threatening", "tiktok", "", False),
    (3, "no", "harassing", "facebook", "facebook.com/p/1/", False),
    (1, "yes", "harassing", "x", "", False),
]


def main(out: Path = ROOT / "docs") -> list[Path]:
    from playwright.sync_api import sync_playwright

    settings = Settings.from_env({"POLICYBOT_DB": str(Path(tempfile.mkdtemp()) / "shot.db"),
                                  "POLICYBOT_ADMINS": "web:admin"})
    bot = build_bot(settings, encoder=FakeEncoder())
    add_admin(bot)
    add_admin(bot, "maria")  # a case is assigned to an administrator
    for hours, danger, category, platform, link, named in CASES:
        number = file_report(bot, "Details stay hidden in the list.", danger=danger,
                             category=category, platform=platform, link=link,
                             identity="named" if named else "anonymous",
                             user="slack:UREPORTER")
        stamp = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")
        with bot.storage.write() as db:
            db.execute("UPDATE cases SET created_at = ? WHERE number = ?", [stamp, number])
        if named:
            bot.cases.ask_reporter(number, "Which school?", "web:admin")
            bot.cases.answer_as_reporter("slack:UREPORTER", number, "Roosevelt High.")
    bot.cases.set_status("2026-0001", "triaged", "web:admin")
    bot.cases.assign("2026-0001", "web:maria", "web:admin")
    shots = [out / "screenshot-cases-phone.png"]
    with LiveServer(bot, settings) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for path, width in zip(shots, (390,), strict=True):
            page = browser.new_context(viewport={"width": width, "height": 900}).new_page()
            page.goto(server.url + "/admin")
            page.fill("input[name=name]", ADMIN_NAME)
            page.fill("input[name=password]", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(server.url + "/admin")
            page.screenshot(path=str(path), full_page=True)
        browser.close()
    return shots


if __name__ == "__main__":
    for shot in main():
        print(f"wrote {shot}")

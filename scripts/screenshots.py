"""Retake the README's screenshots: the browser chat, the case list, a case and the overview.

    .venv/bin/python scripts/screenshots.py [--out docs]

Starts `policybot serve` (the real model) on a throwaway database holding a few demo
cases and a demo console account, waits for /healthz, and drives the system Chromium
through Playwright exactly like the browser tests (/usr/bin/chromium, never
`playwright install`). Writes screenshot-chat.png, screenshot-cases.png,
screenshot-case.png and screenshot-overview.png into the output folder.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.admin_accounts import AdminAccounts  # noqa: E402
from bot.cases import CaseStore  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.events import EventBus  # noqa: E402
from infra.db import Storage  # noqa: E402

CHROMIUM = os.environ.get("POLICYBOT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ADMIN, PASSWORD = "maria", "demo password for screenshots"
ACTOR = "web:" + ADMIN
BASE = {"danger": "no", "when": "", "identity": "anonymous", "link": ""}
DEMO = [  # (report, matched clauses, what administrators did with it)
    ({"category": "student_identified", "platform": "instagram", "target": "student",
      "link": "instagram.com/p/demo1", "description": "A teacher's public post names a "
      "student and the student's class."}, ["BUL-5688.0#3"], ["claim", "triaged"]),
    ({"category": "threatening", "platform": "x", "target": "employee", "danger": "yes",
      "description": "A reply threatens a colleague at our school."}, ["BUL-5688.0#4"], []),
    ({"category": "harassing", "platform": "facebook", "target": "employee",
      "identity": "named", "description": "Repeated comments mocking a colleague's "
      "accent."}, ["BUL-5688.0#4"], ["note"]),
    ({"category": "bullying", "platform": "tiktok", "target": "associated",
      "description": "A video makes fun of a parent volunteer."}, [], ["dismissed"]),
    ({"category": "confidential_info", "platform": "district", "target": "student",
      "description": "Grades posted in a public channel."}, ["BUL-5688.0#1"], []),
]


def seed(db_path: Path) -> str:
    """The demo cases and console account; returns the number of the case to show."""
    settings = Settings.from_env({"POLICYBOT_DB": str(db_path), "POLICYBOT_ADMINS": ACTOR})
    storage = Storage(settings.db_path)
    storage.migrate()
    AdminAccounts(storage).add(ADMIN, PASSWORD)
    cases = CaseStore(storage, settings, EventBus(storage))
    numbers = []
    for report, clauses, done in DEMO:
        draft = {**BASE, **report}
        named = draft["identity"] == "named"
        case, _ = cases.open_case(draft, "web-chat:demo-reporter" if named else None,
                                  not named, clauses)
        numbers.append(case["number"])
        for step in done:
            if step == "claim":
                cases.assign(case["number"], ACTOR, ACTOR)
            elif step == "note":
                cases.add_note(case["number"], "Asked the principal to look at it.", ACTOR)
            elif step == "dismissed":
                cases.set_status(case["number"], "dismissed", ACTOR, reason="duplicate")
            else:
                cases.set_status(case["number"], step, ACTOR)
    return numbers[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, server: subprocess.Popen, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"policybot serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(1)
    raise SystemExit(f"policybot was not ready after {timeout:.0f} s")


def shoot(url: str, number: str, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 900})
        page.goto(url + "/")
        page.fill("#text", "Can I friend a parent on Facebook?")
        page.press("#text", "Enter")
        page.locator(".turn").first.wait_for()
        shots.append(out / "screenshot-chat.png")
        page.screenshot(path=str(shots[-1]), full_page=True)

        page.goto(url + "/admin/login")
        page.fill("input[name=name]", ADMIN)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(url + "/admin")
        for name, address in (("cases", "/admin"), ("case", f"/admin/cases/{number}"),
                              ("overview", "/admin/overview")):
            page.goto(url + address)
            shots.append(out / f"screenshot-{name}.png")
            page.screenshot(path=str(shots[-1]), full_page=True)
        browser.close()
    return shots


def main(out: Path) -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "demo.db"
        number = seed(db_path)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "POLICYBOT_DB": str(db_path), "POLICYBOT_ADMINS": ACTOR}
        server = subprocess.Popen([sys.executable, "-m", "policybot.cli", "serve", "--host",
                                   "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env)
        try:
            wait_ready(url, server)
            return shoot(url, number, out)
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    for path in main(parser.parse_args().out):
        print(path)

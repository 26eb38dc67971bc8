"""`policybot serve --workers 2`: the real command, two gunicorn workers with the real model
on one port. Any worker can take any request (a browser-chat report is carried through
requests on fresh connections, so both workers serve it), a worker killed with SIGKILL is
replaced while the other keeps answering, and SIGTERM stops them all."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

POLICYBOT = Path(sys.executable).with_name("policybot")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


class Client:
    """One browser: a cookie jar, and a new TCP connection per request (no keep-alive), so
    the kernel hands successive requests to whichever worker accepts first."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str, timeout: float = 30) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def say(self, text: str, is_button: bool = False) -> dict:
        request = urllib.request.Request(
            self.base + "/chat/api", method="POST",
            data=json.dumps({"text": text, "is_button": is_button}).encode(),
            headers={"Content-Type": "application/json", "Connection": "close"})
        with self.opener.open(request, timeout=30) as r:
            return json.loads(r.read())


@pytest.fixture
def served(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "Microsoft", "POLICYBOT_"))}
    env.update({"POLICYBOT_DB": str(tmp_path / "policybot.db"), "HF_HUB_OFFLINE": "1"})
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(POLICYBOT), "serve", "--port", str(port), "--workers", "2"],
                            env=env, stdout=log, stderr=log, cwd=tmp_path)
    client = Client(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
        try:
            if client.get("/healthz", timeout=5)[0] == 200:
                break
        except OSError:
            time.sleep(0.3)
    else:
        pytest.fail("not ready in 120 s:\n" + (tmp_path / "serve.log").read_text()[-3000:])
    yield proc, client, tmp_path / "serve.log"
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)
    log.close()


def wait_for(condition, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_two_workers_share_every_conversation_and_survive_losing_one(served):
    proc, client, log = served
    assert wait_for(lambda: len(children(proc.pid)) == 2), log.read_text()[-2000:]
    workers = children(proc.pid)
    # both workers are ready (each takes connections only once its core is loaded)
    assert wait_for(lambda: "policybot is ready" in log.read_text() and
                    log.read_text().count("policybot is ready") == 2), log.read_text()[-2000:]
    before = {pid: cpu_ticks(pid) for pid in workers}

    assert client.get("/")[0] == 200  # the chat page sets the session cookie
    answer = client.say("can I friend a parent?")
    assert answer["replies"][0]["citations"][0]["id"] == "BUL-5688.0#1"
    # a whole anonymous report, one request per connection, served by either worker
    data = client.say("report", is_button=True)
    assert data["step"]["id"] == "category"
    for text, next_step in (("harassing", "danger"), ("no", "platform"),
                            ("instagram", "link"), ("skip", "when"), ("skip", "target"),
                            ("employee", "description")):
        data = client.say(text, is_button=True)
        assert data["step"]["id"] == next_step, data["replies"][-1]["text"]
    data = client.say("A post mocks a colleague's accent.")
    assert data["step"]["id"] == "identity"
    assert client.say("anonymous", is_button=True)["step"]["id"] == "confirm"
    receipt = client.say("submit", is_button=True)["replies"][-1]
    assert receipt["kind"] == "receipt"
    status = client.say(f"status {receipt['data']['case_key']}")["replies"][0]
    assert receipt["data"]["case_number"] in status["text"]
    for _ in range(30):
        assert client.say("is it ok to post pictures of my class on instagram?")["replies"]
    busy = [pid for pid in workers if cpu_ticks(pid) > before[pid]]
    assert len(busy) == 2, "one worker did all the work"

    victim = sorted(workers)[0]
    os.kill(victim, signal.SIGKILL)
    for _ in range(10):  # the other worker answers meanwhile
        assert client.say("can I friend a parent?")["replies"][0]["kind"] == "answered"
    assert wait_for(lambda: len(children(proc.pid) - {victim}) == 2, 90), \
        "the killed worker was not replaced"

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert all(not Path(f"/proc/{pid}").exists() for pid in children(proc.pid) | workers)

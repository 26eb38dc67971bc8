"""infra/periodic.py: the one background loop (outbox poller, alerts sender, knowledge watcher)."""

from __future__ import annotations

import threading
import time

from infra.periodic import Periodic


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_it_runs_a_round_every_interval_and_stops_promptly_between_rounds():
    rounds = []
    loop = Periodic("test-loop", 0.02, lambda: rounds.append(1)).start()
    assert wait_for(lambda: len(rounds) >= 3)
    started = time.monotonic()
    loop.stop()
    assert time.monotonic() - started < 1.0
    assert not loop._thread.is_alive()
    after = len(rounds)
    time.sleep(0.1)
    assert len(rounds) == after  # no round after stop


def test_a_long_interval_does_not_delay_stopping():
    loop = Periodic("test-loop", 600.0, lambda: None).start()
    started = time.monotonic()
    loop.stop()
    assert time.monotonic() - started < 1.0 and not loop._thread.is_alive()


def test_a_round_that_raises_is_reported_and_the_loop_goes_on(caplog):
    rounds, failures = [], []

    def round_() -> None:
        rounds.append(1)
        if len(rounds) == 1:
            raise RuntimeError("database is locked")

    loop = Periodic("test-loop", 0.02, round_, failures.append).start()
    try:
        assert wait_for(lambda: len(rounds) >= 3)
    finally:
        loop.stop()
    assert [str(e) for e in failures] == ["database is locked"]


def test_by_default_a_failed_round_is_logged_with_its_traceback(caplog):
    def round_() -> None:
        raise RuntimeError("disk I/O error")

    loop = Periodic("test-loop", 0.02, round_).start()
    try:
        assert wait_for(lambda: "disk I/O error" in caplog.text)
    finally:
        loop.stop()
    record = next(r for r in caplog.records if r.exc_info)
    assert "test-loop" in record.getMessage() and record.exc_info[0] is RuntimeError


def test_wake_runs_a_round_long_before_the_interval():
    ran = threading.Event()
    loop = Periodic("test-loop", 600.0, ran.set).start()
    try:
        time.sleep(0.05)
        assert not ran.is_set()  # the first round waits for the interval...
        loop.wake()
        assert ran.wait(5)  # ...unless woken
    finally:
        loop.stop()


def test_stop_lets_a_round_under_way_finish():
    entered, release, finished = threading.Event(), threading.Event(), []

    def round_() -> None:
        entered.set()
        release.wait(5)
        finished.append(1)

    loop = Periodic("test-loop", 0.01, round_).start()
    assert entered.wait(5)
    stopper = threading.Thread(target=loop.stop)
    stopper.start()
    time.sleep(0.05)
    release.set()
    stopper.join(5)
    assert finished == [1] and not loop._thread.is_alive()

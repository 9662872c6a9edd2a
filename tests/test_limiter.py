"""The counters behind sign-in throttling, the API's token rate and the relay's site rate:
no thread per count, expired windows swept from memory, and no hook on every request."""

from __future__ import annotations

import threading

import pytest
from flask import Flask

from smsform import limiter


@pytest.fixture
def timers(monkeypatch) -> list[object]:
    """Every ``threading.Timer`` made while the test runs."""
    made: list[object] = []
    real = threading.Timer

    def counting(*args, **kwargs):
        timer = real(*args, **kwargs)
        made.append(timer)
        return timer

    monkeypatch.setattr(threading, "Timer", counting)
    return made


def test_counting_requests_starts_no_thread(app: Flask, timers):
    with app.test_request_context():
        for i in range(50):
            assert limiter.request_wait("1000/minute", "api-token", str(i % 3)) == 0
    assert timers == []


def test_the_stock_memory_storage_would_start_timers(timers):
    """What the storage above avoids (so the test above can fail)."""
    from limits.storage import MemoryStorage
    from limits.strategies import MovingWindowRateLimiter

    counter = MovingWindowRateLimiter(MemoryStorage())
    counter.hit(limiter.parse("5/minute"), "k")
    assert len(timers) == 1


def test_expired_windows_are_swept_from_memory(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(limiter.time, "time", lambda: now[0])
    store = limiter.SweptMemoryStorage()
    counter = limiter.MovingWindowRateLimiter(store)
    item = limiter.parse("2/second")
    assert counter.hit(item, "old")
    assert [key for key, events in store.events.items() if "old" in key and events]
    now[0] += 5  # the window and the sweep interval have passed
    assert counter.hit(item, "new")
    assert not [key for key, events in store.events.items() if "old" in key and events]
    assert [key for key, events in store.events.items() if "new" in key and events]


def test_a_window_still_refuses_within_its_time(monkeypatch):
    now = [2_000_000.0]
    monkeypatch.setattr(limiter.time, "time", lambda: now[0])
    counter = limiter.MovingWindowRateLimiter(limiter.SweptMemoryStorage())
    item = limiter.parse("2/minute")
    assert counter.hit(item, "k") and counter.hit(item, "k")
    now[0] += 30
    assert not counter.hit(item, "k")
    now[0] += 31
    assert counter.hit(item, "k")


def test_no_hook_runs_on_every_request(app: Flask):
    hooks = [f.__module__ for fs in app.before_request_funcs.values() for f in fs]
    hooks += [f.__module__ for fs in app.after_request_funcs.values() for f in fs]
    assert not any("limiter" in module for module in hooks)

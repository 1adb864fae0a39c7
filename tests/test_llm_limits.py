"""The rate limiter (in process, and through the real Redis on 127.0.0.1:6379 across processes),
the retry policy and ``Retry-After``."""

from __future__ import annotations

import itertools
import json
import logging
import random
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from email.utils import formatdate

import pytest

from invoice_extractor.errors import ExtractionError
from invoice_extractor.extract.llm.limiter import SAFETY, RateLimiter, RedisLimiter
from invoice_extractor.extract.llm.retry import (
    ProviderError,
    RetryPolicy,
    call_with_retries,
    retry_after_seconds,
    status_error,
)

REDIS_URL = "redis://127.0.0.1:6379/0"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_requests_are_spaced_evenly_never_in_bursts() -> None:
    clock = FakeClock()
    limiter = RateLimiter(60, clock=clock, sleep=lambda s: None)
    step = 60 / (60 * SAFETY)
    assert [limiter.acquire() for _ in range(3)] == pytest.approx([0, step, 2 * step])
    clock.now += 10 * step  # idle time is not saved up into a burst
    assert [limiter.acquire(), limiter.acquire()] == pytest.approx([0, step])


def test_tokens_per_minute_hold_the_next_request_and_are_settled_by_use() -> None:
    clock = FakeClock()
    limiter = RateLimiter(0, 60_000, clock=clock, sleep=lambda s: None)
    per_token = 60 / (60_000 * SAFETY)
    assert limiter.acquire(3000) == 0
    limiter.settle(3000, 1000)  # the request used less than estimated
    assert limiter.acquire(10) == pytest.approx(1000 * per_token)


def test_a_pause_holds_every_worker_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(600, clock=clock, sleep=lambda s: None)
    limiter.acquire()
    limiter.pause(5)
    assert limiter.acquire() == pytest.approx(5)


def test_worker_threads_share_one_limiter() -> None:
    # A fake clock that stands still: every start each thread is given is its reserved slot, so
    # the schedule is checked exactly, whatever the load on the machine.
    clock = FakeClock()
    slept: list[float] = []
    limiter = RateLimiter(1200, clock=clock, sleep=slept.append)  # a request every 51 ms
    starts: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(4):
            wait = limiter.acquire()
            with lock:
                starts.append(clock.now + wait)

    threads = [threading.Thread(target=work) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    step = 60 / (1200 * SAFETY)
    assert sorted(starts) == pytest.approx([clock.now + i * step for i in range(20)])
    assert sorted(slept) == pytest.approx([i * step for i in range(1, 20)])
    assert_spaced(sorted(starts), 60 / 1200)


def assert_spaced(starts: list[float], step: float, k: int = 4) -> None:
    """No burst: any ``k + 1`` starts in a row span ``k`` steps, less a little wake-up jitter."""
    spans = [starts[i + k] - starts[i] for i in range(len(starts) - k)]
    assert min(spans) >= k * step - 0.03, spans


# --- Redis -------------------------------------------------------------------------------------


@pytest.fixture
def redis_key() -> Iterator[str]:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc}); CI starts it")
    key = f"test-{secrets.token_hex(6)}"
    yield key
    client.delete(*client.keys(f"invoice-extractor:llm:{key}:*") or ["none"])
    client.close()


# The schedule runs on Redis' clock, which a test cannot stop: a wait it hands out is the slot less
# Redis' "now", and "now" moves on by at most the time the calls took. So each wait is checked
# against its exact value, less the time measured around the calls, whatever the machine's load.
ROUNDING = 1e-5  # the script returns times with six decimals


def assert_wait(wait: float, expected: float, elapsed: float) -> None:
    assert expected - elapsed - ROUNDING <= wait <= expected + ROUNDING, (wait, expected, elapsed)


def test_redis_limiter_instances_share_one_schedule(redis_key: str) -> None:
    a = RedisLimiter(REDIS_URL, redis_key, 600, sleep=lambda s: None)
    b = RedisLimiter(REDIS_URL, redis_key, 600, sleep=lambda s: None)
    started = time.monotonic()
    waits = [a.acquire(), b.acquire(), a.acquire(), b.acquire()]
    elapsed = time.monotonic() - started
    step = 60 / (600 * SAFETY)
    assert waits[0] == 0  # a fresh schedule: the first request starts at once
    # Each reservation comes one step after the other's, whichever instance makes it.
    for before, after in itertools.pairwise(waits):
        assert_wait(after - before, step, elapsed)
    started = time.monotonic()
    b.pause(3)
    wait = a.acquire()
    assert_wait(wait, 3, time.monotonic() - started)


def test_redis_limiter_tokens_are_shared_and_settled(redis_key: str) -> None:
    a = RedisLimiter(REDIS_URL, redis_key, 0, 60_000, sleep=lambda s: None)
    b = RedisLimiter(REDIS_URL, redis_key, 0, 60_000, sleep=lambda s: None)
    per_token = 60 / (60_000 * SAFETY)
    started = time.monotonic()
    assert a.acquire(2000) == 0
    a.settle(2000, 500)
    wait = b.acquire(100)
    assert_wait(wait, 500 * per_token, time.monotonic() - started)


# Each child reserves 8 slots without sleeping; the schedule is pinned a minute ahead, so every
# reservation queues behind it and the slots are exact, however slowly the children start.
_CHILD = """
import json, sys
from invoice_extractor.extract.llm.limiter import RedisLimiter
limiter = RedisLimiter(sys.argv[1], sys.argv[2], 1200, sleep=lambda s: None)
print(json.dumps([limiter.acquire() for _ in range(8)]))
"""


def test_processes_share_the_limit_through_redis(redis_key: str) -> None:
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL)
    seconds, micros = client.time()
    pinned = seconds + micros / 1e6 + 60
    slot_key = f"invoice-extractor:llm:{redis_key}:requests"
    client.set(slot_key, f"{pinned:.6f}", px=300_000)
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, REDIS_URL, redis_key], stdout=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    waits = [json.loads(child.communicate(timeout=60)[0]) for child in children]
    step = 60 / (1200 * SAFETY)
    # 3 processes, one schedule: 24 slots in a row, each taken once, none lost to a race.
    assert float(client.get(slot_key)) == pytest.approx(pinned + 24 * step, abs=ROUNDING)
    for own in waits:
        # each queued behind the pinned slot, within the 24 steps after it
        assert len(own) == 8 and all(0 < w <= 60 + 24 * step for w in own)
    client.close()


def test_redis_down_falls_back_to_the_process_limiter(caplog: pytest.LogCaptureFixture) -> None:
    pytest.importorskip("redis")
    limiter = RedisLimiter(
        "redis://127.0.0.1:1/0", "down", 600, sleep=lambda s: None, clock=FakeClock()
    )
    with caplog.at_level(logging.WARNING):
        waits = [limiter.acquire(), limiter.acquire()]
    assert waits == pytest.approx([0, 60 / (600 * SAFETY)])
    assert caplog.text.count("Redis rate limiter unavailable") == 1


# --- retries ----------------------------------------------------------------------------------


def test_retry_after_is_read_in_seconds_milliseconds_and_http_dates() -> None:
    assert retry_after_seconds({"Retry-After": "7"}) == 7
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "2"}) == 1.5
    now = time.time()
    assert retry_after_seconds({"Retry-After": formatdate(now + 30, usegmt=True)}, now) == (
        pytest.approx(30, abs=1)
    )
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


def test_backoff_is_exponential_with_jitter_and_honours_retry_after() -> None:
    policy = RetryPolicy(max_attempts=6, base=1.0, cap=8.0)
    rng = random.Random(1)
    plain = ProviderError("HTTP 500", retryable=True, status=500)
    for attempt, full in ((1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (5, 8.0)):
        delays = [policy.delay(attempt, plain, rng) for _ in range(50)]
        assert full / 2 <= min(delays) and max(delays) <= full
        assert max(delays) - min(delays) > full / 10  # jittered, not a fixed step
    asked = ProviderError("HTTP 429", retryable=True, status=429, retry_after=3)
    assert 3 <= policy.delay(1, asked, rng) <= 3.3


def test_only_retryable_errors_are_retried_and_the_reason_is_kept() -> None:
    calls: list[int] = []

    def fails(error: ProviderError) -> Decimal:
        calls.append(1)
        raise error

    policy = RetryPolicy(max_attempts=3, base=0.001)
    denied = status_error(403, "key not valid", {})
    with pytest.raises(ExtractionError, match=r"^gemini: HTTP 403: key not valid$"):
        call_with_retries(lambda: fails(denied), provider="gemini", policy=policy)
    assert len(calls) == 1
    calls.clear()
    busy = status_error(503, "overloaded", {})
    with pytest.raises(ExtractionError, match=r"overloaded \(gave up after 3 attempts\)$"):
        call_with_retries(lambda: fails(busy), provider="gemini", policy=policy)
    assert len(calls) == 3
    calls.clear()
    too_long = status_error(429, "quota", {"Retry-After": "86400"})
    with pytest.raises(ExtractionError, match="asks to wait 86400 s"):
        call_with_retries(lambda: fails(too_long), provider="openai", policy=policy)
    assert len(calls) == 1

"""Requests and tokens per minute, shared by every worker of a process (and, with Redis, of all
processes).

The limiter hands out start times (GCRA, "virtual scheduling"): each request reserves the next
free slot, ``60 / requests_per_minute`` seconds after the one before, and pushes the token slot
on by its estimated tokens; the caller sleeps until its slot, outside any lock. Requests are thus
spaced evenly, never in bursts, so a provider that counts per minute (or per second, as OpenAI
does) sees at most the quota. ``SAFETY`` keeps 2% in hand for the clock jitter between us and the
provider. After the answer, ``settle`` corrects the token slot by the tokens really used; after a
429 that asks to wait, ``pause`` holds every worker back, not only the one that was refused.

``RedisLimiter`` keeps the same two slots in Redis, updated by one Lua script on Redis' own clock,
so workers of several processes (gunicorn, job workers) share one quota. Should Redis fail, it
logs once and limits within the process.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

SAFETY = 0.98


class Limiter(Protocol):
    def acquire(self, tokens: int = 0) -> float:
        """Block until a request of ``tokens`` (estimated) may start; the seconds waited."""
        ...

    def settle(self, estimated: int, used: int) -> None:
        """Correct the token count of a finished request."""
        ...

    def pause(self, seconds: float) -> None:
        """Let no request start for ``seconds`` (the provider asked us to wait)."""
        ...


def _steps(requests_per_minute: int, tokens_per_minute: int) -> tuple[float, float]:
    """Seconds one request, and one token, occupy (0: that limit is off)."""
    req = 60.0 / (requests_per_minute * SAFETY) if requests_per_minute > 0 else 0.0
    tok = 60.0 / (tokens_per_minute * SAFETY) if tokens_per_minute > 0 else 0.0
    return req, tok


class RateLimiter:
    """The limiter of one process: thread-safe, FIFO by reservation."""

    def __init__(
        self,
        requests_per_minute: int,
        tokens_per_minute: int = 0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._req_step, self._tok_step = _steps(requests_per_minute, tokens_per_minute)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_request = 0.0  # earliest start of the next request
        self._next_token = 0.0  # when the tokens reserved so far are paid off

    def acquire(self, tokens: int = 0) -> float:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_request, self._next_token)
            if self._req_step:
                self._next_request = slot + self._req_step
            if self._tok_step:
                self._next_token = slot + tokens * self._tok_step
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait

    def settle(self, estimated: int, used: int) -> None:
        if self._tok_step and used != estimated:
            with self._lock:
                self._next_token += (used - estimated) * self._tok_step

    def pause(self, seconds: float) -> None:
        with self._lock:
            self._next_request = max(self._next_request, self._clock() + seconds)


# KEYS: request slot, token slot. ARGV: request step, token step (s), extra (s), mode.
# mode "acquire": reserve a slot, return the wait; "settle": move the token slot by ARGV[3];
# "pause": no request before now + ARGV[3]. Times are Redis' clock; numbers travel as strings.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local req_step, tok_step, extra = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local next_req = tonumber(redis.call('GET', KEYS[1]) or '0')
local next_tok = tonumber(redis.call('GET', KEYS[2]) or '0')
local function keep(key, value)
  local ttl = math.ceil((math.max(value - now, 0) + 120) * 1000)
  redis.call('SET', key, string.format('%.6f', value), 'PX', ttl)
end
if ARGV[4] == 'settle' then
  if next_tok > 0 then keep(KEYS[2], next_tok + extra) end
  return '0'
end
if ARGV[4] == 'pause' then
  keep(KEYS[1], math.max(next_req, now + extra))
  return '0'
end
local slot = math.max(now, next_req, next_tok)
if req_step > 0 then keep(KEYS[1], slot + req_step) end
if tok_step > 0 then keep(KEYS[2], slot + extra * tok_step) end
return string.format('%.6f', slot - now)
"""


class RedisLimiter:
    """The same limiter with its state in Redis, shared by every process using ``key``."""

    def __init__(
        self,
        redis_url: str,
        key: str,
        requests_per_minute: int,
        tokens_per_minute: int = 0,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        client: Any = None,
    ) -> None:
        import redis  # a dependency only where Redis is configured

        self._req_step, self._tok_step = _steps(requests_per_minute, tokens_per_minute)
        self._keys = [
            f"invoice-extractor:llm:{key}:requests",
            f"invoice-extractor:llm:{key}:tokens",
        ]
        self._redis = client or redis.Redis.from_url(
            redis_url, socket_timeout=5, socket_connect_timeout=5
        )
        self._script = self._redis.register_script(_SCRIPT)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._sleep = sleep
        # the fallback's clock; the shared schedule runs on Redis' own
        self._local = RateLimiter(requests_per_minute, tokens_per_minute, clock=clock, sleep=sleep)
        self._failed = False

    def _run(self, extra: float, mode: str) -> float | None:
        try:
            args: list[float | str] = [self._req_step, self._tok_step, extra, mode]
            result = self._script(keys=self._keys, args=args)
        except self._errors as exc:
            if not self._failed:
                log.warning("Redis rate limiter unavailable (%s); limiting per process", exc)
                self._failed = True
            return None
        self._failed = False
        return float(result)

    def acquire(self, tokens: int = 0) -> float:
        wait = self._run(float(tokens), "acquire")
        if wait is None:
            return self._local.acquire(tokens)
        if wait > 0:
            self._sleep(wait)
        return wait

    def settle(self, estimated: int, used: int) -> None:
        shift = (used - estimated) * self._tok_step
        if shift and self._run(shift, "settle") is None:
            self._local.settle(estimated, used)

    def pause(self, seconds: float) -> None:
        if self._run(seconds, "pause") is None:
            self._local.pause(seconds)


_shared: dict[tuple[str, str | None, int, int], Limiter] = {}
_shared_lock = threading.Lock()


def shared_limiter(
    key: str, requests_per_minute: int, tokens_per_minute: int = 0, redis_url: str | None = None
) -> Limiter:
    """The one limiter of this process for a quota (``key``): every backend instance and worker
    thread using the same provider account and model shares it."""
    ident = (key, redis_url, requests_per_minute, tokens_per_minute)
    with _shared_lock:
        if ident not in _shared:
            _shared[ident] = (
                RedisLimiter(redis_url, key, requests_per_minute, tokens_per_minute)
                if redis_url
                else RateLimiter(requests_per_minute, tokens_per_minute)
            )
        return _shared[ident]


def estimate_tokens(text_chars: int, images: int) -> int:
    """A rough, generous token count of a request: text at 4 characters a token, a page image
    at about 1,600 tokens (an A4 page at 150 dpi), and room for the answer."""
    return math.ceil(text_chars / 4) + images * 1600 + 2000

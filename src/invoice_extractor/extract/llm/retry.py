"""Retries of one LLM request: exponential backoff with jitter, ``Retry-After`` honoured.

A backend turns each failure of its SDK into a ``ProviderError`` that says whether another attempt
can help (429, 408, 5xx, a timeout, a dropped connection) and how long the provider asked to wait.
``call_with_retries`` repeats the call until it succeeds or the attempts run out; then, as for an
error no retry can mend (a bad key, a bad request), it raises an ``ExtractionError`` that names
the provider's reason. The SDKs' own retries are off: every attempt passes the shared limiter.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from ... import metrics
from ...errors import ExtractionError
from .redact import redact

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


class ProviderError(Exception):
    """One failed attempt, as the provider (or the network) reported it."""

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(redact(reason))
        self.reason = redact(reason)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


def status_error(status: int, message: str, headers: Mapping[str, str]) -> ProviderError:
    """The ``ProviderError`` of an HTTP error answer."""
    return ProviderError(
        f"HTTP {status}: {' '.join(message.split())[:300]}",
        retryable=status in RETRYABLE_STATUS or status >= 500,
        status=status,
        retry_after=retry_after_seconds(headers),
    )


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        if "retry-after-ms" in lower:
            return max(0.0, float(lower["retry-after-ms"]) / 1000)
        value = lower.get("retry-after")
        if value is None:
            return None
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(str(value)).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, float(when) - (time.time() if now is None else now))


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base: float = 1.0  # seconds: the first backoff is about this long
    cap: float = 60.0  # no backoff is longer
    max_retry_after: float = 600.0  # a provider asking for more is not waited for

    def delay(self, attempt: int, error: ProviderError, rng: random.Random) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        if error.retry_after is not None:
            # As asked, plus up to 10% so the workers that were refused together spread out.
            return error.retry_after * (1 + rng.uniform(0.0, 0.1))
        backoff = min(self.cap, self.base * 2.0 ** (attempt - 1))
        return backoff / 2 + rng.uniform(0.0, backoff / 2)  # "equal jitter": never near zero


def call_with_retries(
    call: Callable[[], T],
    *,
    provider: str,
    policy: RetryPolicy,
    on_failure: Callable[[ProviderError], None] | None = None,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, repeated on retryable ``ProviderError``s; ``on_failure`` sees each one (the
    limiter pauses everyone on a 429). Gives up with an ``ExtractionError`` naming the reason."""
    rng = rng or random.Random()
    attempts = max(1, policy.max_attempts)
    for attempt in range(1, attempts + 1):
        try:
            result = call()
        except ProviderError as error:
            outcome = str(error.status) if error.status is not None else "error"
            metrics.inc("llm_requests_total", {"provider": provider, "outcome": outcome})
            if on_failure is not None:
                on_failure(error)
            if not error.retryable:
                raise ExtractionError(f"{provider}: {error.reason}") from None
            if attempt == attempts:
                raise ExtractionError(
                    f"{provider}: {error.reason} (gave up after {attempts} attempts)"
                ) from None
            if error.retry_after is not None and error.retry_after > policy.max_retry_after:
                raise ExtractionError(
                    f"{provider}: {error.reason} (the provider asks to wait "
                    f"{error.retry_after:.0f} s, more than {policy.max_retry_after:.0f} s)"
                ) from None
            wait = policy.delay(attempt, error, rng)
            log.warning(
                "%s: %s; attempt %d of %d, retrying in %.1f s",
                provider,
                error.reason,
                attempt,
                attempts,
                wait,
            )
            metrics.inc("llm_retries_total", {"provider": provider, "reason": outcome})
            sleep(wait)
        else:
            metrics.inc("llm_requests_total", {"provider": provider, "outcome": "ok"})
            return result
    raise AssertionError("unreachable")  # the loop returns or raises

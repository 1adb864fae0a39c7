"""kombu's Redis transport, with a closed connection reported as a connection error.

When Redis goes away, Celery closes the consumer's connection and reconnects; closing a channel
restores its unacknowledged messages, and acknowledging a message that finished late opens a
client too. If the channel's connection was already closed, kombu (5.x) looks up the broker
address on ``None`` and raises ``AttributeError``, which Celery does not treat as a connection
error: the worker stopped ("Unrecoverable error"), exit code 0, in a few percent of Redis
restarts under load. Here the same situation raises Redis' ``ConnectionError``, which Celery's
reconnect path ignores as it does any other "broker is down" error; the messages the channel
could not restore come back after the broker's visibility timeout, and the sweep re-sends jobs
that lost theirs.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis import exceptions as redis_exceptions

REDIS_SCHEMES = ("redis", "rediss")
TRANSPORT_PATH = f"{__name__}:Transport"


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        transport = self.connection
        if transport is None or transport.client is None:
            raise redis_exceptions.ConnectionError(
                "the broker connection of this channel is closed"
            )
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[no-untyped-call]


class Transport(kombu_redis.Transport):
    Channel = Channel


def transport_for(url: str) -> str | None:
    """The transport class to use for broker ``url``: this module's for Redis, else kombu's."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    return TRANSPORT_PATH if scheme in REDIS_SCHEMES else None

"""API keys never reach a log, an error message or an export.

Every key a backend is configured with is registered here. ``redact`` replaces each registered
key in a text with ``***``; the backends pass every message they build through it. The log record
factory installed by ``register_secret`` does the same for every record of the process (ours, the
SDKs', the HTTP client's), including the traceback text of a logged exception: a filter on one
logger would miss records of its children.
"""

from __future__ import annotations

import logging
import threading
import traceback
from typing import Any

MASK = "***"
_MIN_LENGTH = 8  # shorter strings are no real keys, and masking them would garble messages

_secrets: frozenset[str] = frozenset()
_lock = threading.Lock()
_installed = False


def register_secret(secret: str | None) -> None:
    """Mask ``secret`` from now on, in ``redact`` and in every log record."""
    global _secrets
    if not secret or len(secret) < _MIN_LENGTH:
        return
    with _lock:
        _secrets = _secrets | {secret}
        _install_log_redaction()


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _install_log_redaction() -> None:
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _secrets:
            _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: logging reports it itself later
        return
    clean = redact(message)
    if clean != message:
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        clean = redact(text)
        if clean != text:
            record.exc_text = clean  # formatters use exc_text when it is set
    if record.stack_info:
        record.stack_info = redact(record.stack_info)

"""``invoice-extractor serve``'s access log: the line of gunicorn's own logger, with the atoms of
its format built without every header and environ entry (``web.server.AccessLog``)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.glogging import Logger

from invoice_extractor.web.server import AccessLog

_ENVIRON = {
    "REQUEST_METHOD": "POST",
    "RAW_URI": '/api/v1/sessions/abc/files?x="1"',
    "PATH_INFO": "/api/v1/sessions/abc/files",
    "QUERY_STRING": 'x="1"',
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "127.0.0.1",
    "HTTP_USER_AGENT": 'agent "quoted"',
    "HTTP_AUTHORIZATION": "Basic dXNlcjpwdw==",  # user:pw, as gunicorn's %(u)s reads it
}


def _line(logger_class: type[Logger], fmt: str, sent: int | None) -> str:
    config = Config()
    config.set("access_log_format", fmt)
    logger = logger_class(config)
    logger.now = lambda: "[07/Dec/2026:20:00:00 +0000]"  # type: ignore[method-assign]
    response = SimpleNamespace(status="202 ACCEPTED", sent=sent, headers=[("X-Out", "o")])
    request = SimpleNamespace(headers=[("X-In", "i")])
    took = timedelta(seconds=1, microseconds=2345)
    atoms: Any = logger.atoms_wrapper_class(logger.atoms(response, request, _ENVIRON, took))
    return fmt % atoms


_EVERY_ATOM = " ".join(f"%({a})s" for a in "hlutrsmUqHbBfaTDMLp")


@pytest.mark.parametrize("sent", [1234, 0, None])
@pytest.mark.parametrize("fmt", [Config().access_log_format, _EVERY_ATOM, "%({x-in}i)s %(s)s"])
def test_the_access_line_is_gunicorns(fmt: str, sent: int | None) -> None:
    assert _line(AccessLog, fmt, sent) == _line(Logger, fmt, sent)


def test_serve_logs_with_it() -> None:
    from invoice_extractor.settings import Settings
    from invoice_extractor.web.server import _Server

    server = _Server(Settings.model_validate({"secret_key": "k"}), "127.0.0.1", 2)
    assert server.cfg.logger_class is AccessLog and server.cfg.accesslog == "-"

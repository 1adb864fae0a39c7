"""``invoice-extractor serve``: the app under gunicorn in one process (workers are threads).

One process keeps SQLite happy and shares one worker pool; for more, run gunicorn with several
workers (``gunicorn -w 4 ... app:app``) or the Celery workers. Without ``SECRET_KEY`` a random key
is created once in ``DATA_DIR/.secret_key`` (mode 600), so sessions survive restarts.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger

from ..gc_tuning import tune_for_batches
from ..settings import Settings

log = logging.getLogger(__name__)


def ensure_secret_key(settings: Settings) -> Settings:
    if settings.secret_key or settings.flask_debug:
        return settings
    path: Path = settings.data_dir / ".secret_key"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if not path.is_file():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        log.warning("SECRET_KEY is not set: generated one in %s", path)
    return settings.model_copy(update={"secret_key": path.read_text().strip()})


class AccessLog(Logger):  # type: ignore[misc]
    """gunicorn's logger, whose access line's atoms are built from the request line, the status
    and the timing alone when its format names no header nor environ entry (the default's case):
    gunicorn's own adds one atom per request header, response header and environ entry (some
    fifty), escapes them all, then formats nine; that was a twentieth of an API call's CPU."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], took: timedelta) -> Any:
        if "{" in self.cfg.access_log_format:
            return super().atoms(resp, req, environ, took)
        status = resp.status
        if isinstance(status, str):
            status = status.split(None, 1)[0]
        sent = getattr(resp, "sent", None)
        method, protocol = environ["REQUEST_METHOD"], environ["SERVER_PROTOCOL"]
        return {
            "h": environ.get("REMOTE_ADDR", "-"),
            "l": "-",
            "u": self._get_user(environ) or "-",
            "t": self.now(),
            "r": f"{method} {environ['RAW_URI']} {protocol}",
            "s": status,
            "m": method,
            "U": environ.get("PATH_INFO"),
            "q": environ.get("QUERY_STRING"),
            "H": protocol,
            "b": str(sent) if sent is not None else "-",
            "B": sent,
            "f": environ.get("HTTP_REFERER", "-"),
            "a": environ.get("HTTP_USER_AGENT", "-"),
            "T": took.seconds,
            "D": took.seconds * 1000000 + took.microseconds,
            "M": took.seconds * 1000 + took.microseconds // 1000,
            "L": f"{took.seconds}.{took.microseconds:06d}",
            "p": f"<{os.getpid()}>",
        }


class _Server(BaseApplication):  # type: ignore[misc]
    def __init__(self, settings: Settings, host: str, threads: int) -> None:
        self.settings = settings
        self.options = {
            "bind": f"{host}:{settings.port}",
            "workers": 1,
            "threads": threads,
            "timeout": 300,
            "graceful_timeout": 300,
            "accesslog": "-",
            "logger_class": AccessLog,
            # gunicorn's control socket lives at one path per user: two servers would collide.
            "control_socket_disable": True,
        }
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from . import create_app

        app = create_app(self.settings)
        tune_for_batches()  # in the worker process, with everything it loaded at start
        return app


def serve(settings: Settings, host: str = "0.0.0.0", threads: int = 8) -> None:
    _Server(ensure_secret_key(settings), host, threads).run()

"""``invoice-extractor serve``: the app under gunicorn in one process (workers are threads).

One process keeps SQLite happy and shares one worker pool; for more, run gunicorn with several
workers (``gunicorn -w 4 ... app:app``) or the Celery workers. Without ``SECRET_KEY`` a random key
is created once in ``DATA_DIR/.secret_key`` (mode 600), so sessions survive restarts.
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

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

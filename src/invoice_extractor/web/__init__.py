"""The web app: upload, background extraction, review beside the page image, export, JSON API.

``create_app()`` is the factory (``app.py`` at the repository root exposes ``app`` for
``gunicorn ... app:app``). It refuses to start in production mode without ``SECRET_KEY``.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask

from .. import metrics
from ..errors import ConfigurationError
from ..jobs.base import JobQueue
from ..jobs.inprocess import InProcessQueue
from ..settings import Settings
from ..store.repository import Store
from . import errors, multipart, security
from .api import api
from .auth import CookieKeptOnErrors, csrf_token, refuse_cross_site
from .context import Services
from .einvoice_export import einvoice_api
from .health import health
from .manage import manage
from .matching_api import matching_api
from .matching_pages import matching_pages
from .pages import STATIC_MAX_AGE, pages
from .sellers import sellers
from .supplier_api import supplier_api
from .supplier_pages import supplier_pages


def create_app(settings: Settings | None = None, *, queue: JobQueue | None = None) -> Flask:
    settings = settings or Settings.from_env()
    if not settings.secret_key and not settings.flask_debug:
        raise ConfigurationError(
            "SECRET_KEY is not set: set it (e.g. in .env) or run with FLASK_DEBUG=True for "
            "local development only"
        )
    logging.basicConfig(level=logging.DEBUG if settings.flask_debug else logging.INFO)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key or "development-only-key",
        DEBUG=settings.flask_debug,
        MAX_CONTENT_LENGTH=settings.max_upload_mb * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        SESSION_COOKIE_NAME="invoice_extractor",
        PERMANENT_SESSION_LIFETIME=timedelta(days=90),
        JSON_SORT_KEYS=False,
        SEND_FILE_MAX_AGE_DEFAULT=STATIC_MAX_AGE,  # static URLs carry a content hash
    )
    multipart.install()  # uploads parsed without compiling werkzeug's patterns each time
    store = Store(settings)
    store.migrate()
    metrics.configure(settings.data_dir / "metrics")
    worker_queue = queue or default_queue(settings, store)
    app.extensions["invoice_extractor"] = Services(store, worker_queue)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.session_interface = CookieKeptOnErrors()
    app.before_request(refuse_cross_site)  # before any blueprint's hook reads the session
    app.register_blueprint(health)  # first: its /healthz (with checks) wins over the pages' one
    app.register_blueprint(api)
    app.register_blueprint(manage)
    app.register_blueprint(matching_api)
    app.register_blueprint(pages)
    app.register_blueprint(matching_pages)
    app.register_blueprint(sellers)
    app.register_blueprint(einvoice_api)
    app.register_blueprint(supplier_api)
    app.register_blueprint(supplier_pages)
    errors.register(app)
    security.register(app)
    worker_queue.start()
    return app


def default_queue(settings: Settings, store: Store) -> JobQueue:
    """Celery when ``QUEUE_URL`` is set (with ``invoice-extractor worker``), else threads here."""
    if settings.queue_url:
        from ..jobs.celery.queue import CeleryQueue  # Celery is imported only when it is used

        return CeleryQueue(settings)
    return InProcessQueue(store, settings.workers)

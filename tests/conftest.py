"""Shared fixtures: a temp data dir, a PDF factory, and a stand-in for the extraction pipeline."""

from __future__ import annotations

import functools
import io
import secrets
import sys
import time
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest
from fpdf import FPDF

import invoice_extractor
from invoice_extractor.ingest.document import Document
from invoice_extractor.ingest.loader import load_bytes
from invoice_extractor.model import Invoice
from invoice_extractor.settings import Settings

if TYPE_CHECKING:
    from flask import Flask
    from flask.testing import FlaskClient
    from werkzeug.test import TestResponse

    from invoice_extractor.store.repository import Store

TextItem = tuple[float, float, str, float]
"""``(x, y, text, size)``: ``x`` and the baseline ``y`` in PDF points from the top-left corner."""
PageSpec = Sequence[str | TextItem]
"""One page: plain lines (stacked from the top-left) and/or placed text items, in any mix."""

_UNICODE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
    Path("/Library/Fonts/Arial Unicode.ttf"),
)


class MakePdf(Protocol):
    def __call__(
        self,
        pages: Sequence[PageSpec],
        name: str = "document.pdf",
        *,
        directory: Path | None = None,
        size: float = 10,
    ) -> Path: ...


ExtractFile = Callable[..., list[Invoice]]


class InstallPipeline(Protocol):
    def __call__(self, extract_file: ExtractFile = ...) -> None: ...


@pytest.fixture(autouse=True, scope="session")
def synthetic_review_threshold() -> Iterator[None]:
    """The packaged ranker's ``ok`` threshold is chosen by cross-validation on real documents,
    where no threshold yet reaches 97 % precision, so it is 0.99 and almost every reading is
    ``needs_review``. The suite's synthetic invoices test flows (a clean invoice is ``ok``, a
    broken one is not), not calibration: they run with the same model at threshold 0.5.
    ``tests/test_ranker.py`` tests the threshold itself with models of its own."""
    from dataclasses import replace

    from invoice_extractor.extract.embedded.ranker import active_model, using_model

    model = active_model()
    if model is None:
        yield
        return
    with using_model(replace(model, ok_threshold=0.5)):
        yield


@pytest.fixture
def tmp_data_dir(tmp_path: Path) -> Path:
    """An empty directory for a test's input and output files."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def make_pdf(tmp_data_dir: Path) -> MakePdf:
    """A factory writing a PDF with a real text layer, one ``PageSpec`` per page; returns its path.

    ``make_pdf([["Invoice 1", (400, 60, "Total 119,00", 10)]], "a.pdf")``. Text outside Latin-1
    (``€``) needs a Unicode TrueType font; the test is skipped where none is installed.
    """

    def make(
        pages: Sequence[PageSpec],
        name: str = "document.pdf",
        *,
        directory: Path | None = None,
        size: float = 10,
    ) -> Path:
        pdf = FPDF(unit="pt", format="A4")
        pdf.set_auto_page_break(False)
        font = _font_for(
            pdf, [item if isinstance(item, str) else item[2] for p in pages for item in p]
        )
        for page in pages:
            pdf.add_page()
            y = 50.0
            for item in page:
                if isinstance(item, str):
                    pdf.set_font(font, size=size)
                    pdf.text(50, y, item)
                    y += size * 1.5
                else:
                    x, baseline, text, item_size = item
                    pdf.set_font(font, size=item_size)
                    pdf.text(x, baseline, text)
        path = (directory or tmp_data_dir) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pdf.output(str(path))
        return path

    return make


def _font_for(pdf: FPDF, texts: Sequence[str]) -> str:
    """Helvetica (built in) when Latin-1 covers the text, else a Unicode TrueType font."""
    try:
        "".join(texts).encode("latin-1")
        return "Helvetica"
    except UnicodeEncodeError:
        pass
    for path in _UNICODE_FONTS:
        if path.is_file():
            pdf.add_font("Unicode", fname=str(path))
            return "Unicode"
    pytest.skip("no Unicode TrueType font installed for non-Latin-1 test text")


def fake_extract_file(
    path: Path, *, settings: object = None, extractor: str | None = None
) -> list[Invoice]:
    """``pipeline.extract_file``'s contract without the engine: a readable ``%PDF`` file gives one
    ok invoice numbered after its stem, anything else one failed invoice."""
    name = extractor or "embedded"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return [Invoice.failed(path.name, f"{path.name}: cannot be read ({exc.strerror})", name)]
    if not data.startswith(b"%PDF"):
        return [Invoice.failed(path.name, f"{path.name}: not a PDF", name)]
    return [Invoice(file=path.name, pages=[1], extractor=name, invoice_number=path.stem)]


@pytest.fixture
def fake_pipeline(monkeypatch: pytest.MonkeyPatch) -> InstallPipeline:
    """Install a function as ``invoice_extractor.pipeline.extract_file`` for one test.

    A stand-in module replaces the pipeline (rather than patching one attribute) so that tests of
    the CLI and the evaluation do not depend on the engine importing: they test what calls it.
    """

    def install(extract_file: ExtractFile = fake_extract_file) -> None:
        module = types.ModuleType("invoice_extractor.pipeline")
        module.extract_file = extract_file  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "invoice_extractor.pipeline", module)
        monkeypatch.setattr(invoice_extractor, "pipeline", module, raising=False)

    return install


# --- the web app on SQLite and PostgreSQL -------------------------------------------------------

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_POSTGRES_DSN = "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=3"
WEB_SECRET = "test-secret-key"
DONE_STATES = ("done", "failed")
INVOICE_COLUMNS_X = (50.0, 300.0, 380.0, 490.0)  # description, quantity, unit price, amount


@functools.cache
def _postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used here, or None when it answers."""
    try:
        import psycopg

        with psycopg.connect(_POSTGRES_DSN, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except Exception as exc:  # not installed, refused, auth: every reason skips the same way
        return " ".join(f"{type(exc).__name__}: {exc}".split())
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def web_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Settings of a web app with its own DATA_DIR, on SQLite (default URL) or on PostgreSQL in a
    fresh schema of its own (dropped afterwards)."""
    data_dir = tmp_path / "web-data"
    base = {"data_dir": data_dir, "secret_key": WEB_SECRET, "workers": 2}
    if request.param == "sqlite":
        yield Settings.model_validate(base)
        return
    problem = _postgres_problem()
    if problem is not None:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({problem}); CI starts it")
    import psycopg

    schema = f"t_{secrets.token_hex(8)}"
    with psycopg.connect(_POSTGRES_DSN, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
        yield Settings.model_validate({**base, "database_url": url})
    finally:
        with psycopg.connect(_POSTGRES_DSN, autocommit=True) as conn:
            conn.execute("SET lock_timeout = '10s'")
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def job_store(request: pytest.FixtureRequest, web_settings: Settings) -> Iterator[Any]:
    """A migrated ``Store`` on ``web_settings`` that is also the store of the Celery task in this
    process (``worker.execute``); a test may change settings with ``@pytest.mark.job_settings``
    (applied without validation, so a lease may be shorter than the setting allows)."""
    from invoice_extractor.jobs.celery import worker as celery_worker
    from invoice_extractor.store.repository import Store

    marker = request.node.get_closest_marker("job_settings")
    changes = {"queue_url": "redis://127.0.0.1:1/0", **(marker.kwargs if marker else {})}
    settings = web_settings.model_copy(update=changes)
    store = Store(settings)
    store.migrate()
    celery_worker.configure(settings)
    yield store
    celery_worker.process_store().db.dispose()
    store.db.dispose()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Any]:
    """A ``helpers_cluster.Cluster`` on a throwaway Redis and a fresh PostgreSQL schema."""
    from helpers_cluster import running_cluster

    problem = _postgres_problem()
    if problem is not None:
        pytest.skip(f"PostgreSQL is not reachable at 127.0.0.1:5432 ({problem}); CI starts it")
    with running_cluster(tmp_path) as cluster:
        yield cluster


class MakeWebApp(Protocol):
    def __call__(self, **overrides: Any) -> Flask: ...


@pytest.fixture
def make_web_app(web_settings: Settings) -> Iterator[MakeWebApp]:
    """``create_app`` on ``web_settings`` with some settings changed; every app made is stopped
    (its worker threads joined, its engine disposed) at teardown."""
    from invoice_extractor.web import create_app

    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        settings = Settings.model_validate({**web_settings.model_dump(), **overrides})
        app = create_app(settings)
        apps.append(app)
        return app

    yield make
    for app in apps:
        services = app.extensions["invoice_extractor"]
        services.queue.stop()
        services.store.db.dispose()


@pytest.fixture
def web_app(make_web_app: MakeWebApp) -> Flask:
    """The web app with SECRET_KEY set and two background workers."""
    return make_web_app()


@pytest.fixture
def client(web_app: Flask) -> FlaskClient:
    return web_app.test_client()


class Api:
    """The owner of one session speaking to the JSON API with its bearer token."""

    def __init__(self, client: FlaskClient, session_id: str, token: str) -> None:
        self.client = client
        self.session_id = session_id
        self.token = token

    @property
    def base(self) -> str:
        return f"/api/v1/sessions/{self.session_id}"

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str = "", **kwargs: Any) -> TestResponse:
        return self.client.get(self.base + path, headers=self.auth, **kwargs)

    def patch(self, invoice_id: int, body: Any) -> TestResponse:
        return self.client.patch(f"{self.base}/invoices/{invoice_id}", json=body, headers=self.auth)

    def upload(self, *files: tuple[bytes, str]) -> TestResponse:
        """POST ``(content, file name)`` pairs as the multipart field ``files``."""
        data = {"files": [(io.BytesIO(content), name) for content, name in files]}
        return self.client.post(
            self.base + "/files", data=data, headers=self.auth, content_type="multipart/form-data"
        )

    def wait(self, count: int | None = None, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The session's jobs once every one (and at least ``count``) is done or failed."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.get("/jobs")
            assert response.status_code == 200, response.get_data(as_text=True)
            jobs: list[dict[str, Any]] = response.get_json()["jobs"]
            settled = all(job["state"] in DONE_STATES for job in jobs)
            if settled and len(jobs) >= (count or 0):
                return jobs
            if time.monotonic() > deadline:
                pytest.fail(f"jobs not finished after {timeout:.0f} s: {jobs}")
            time.sleep(0.1)

    def invoices(self) -> list[dict[str, Any]]:
        response = self.get("/invoices")
        assert response.status_code == 200, response.get_data(as_text=True)
        result: list[dict[str, Any]] = response.get_json()["invoices"]
        return result


class NewApi(Protocol):
    def __call__(self, client: FlaskClient | None = None) -> Api: ...


@pytest.fixture
def new_api(client: FlaskClient) -> NewApi:
    """Create a session through ``POST /api/v1/sessions`` (with the ``client`` fixture unless
    another client is given) and return its owner's ``Api``."""
    default = client

    def make(client: FlaskClient | None = None) -> Api:
        chosen = client or default
        response = chosen.post("/api/v1/sessions")
        assert response.status_code == 201, response.get_data(as_text=True)
        body = response.get_json()
        return Api(chosen, body["id"], body["token"])

    return make


class InvoicePdf(Protocol):
    def __call__(
        self, number: str = "INV-2024-0042", *, seller: str = "Acme Trading Ltd"
    ) -> bytes: ...


@pytest.fixture
def invoice_pdf(make_pdf: MakePdf) -> InvoicePdf:
    """The bytes of a one-page invoice the embedded engine reads completely: seller, buyer
    (Kunde AG), number, date 2024-03-05, one line item (2 x 50.00), subtotal 100.00, VAT 19.00,
    total 119.00 EUR."""

    def stack(y: float, *pairs: tuple[str, str]) -> list[TextItem]:
        return [
            item
            for n, (label, value) in enumerate(pairs)
            for item in ((330.0, y + 16 * n, label, 10.0), (460.0, y + 16 * n, value, 10.0))
        ]

    def make(number: str = "INV-2024-0042", *, seller: str = "Acme Trading Ltd") -> bytes:
        rows = [
            ("Description", "Qty", "Unit Price", "Amount"),
            ("Consulting", "2", "50.00", "100.00"),
        ]
        page: list[str | TextItem] = [
            (50.0, 60.0, seller, 16.0),
            (50.0, 120.0, "Bill to:", 10.0),
            (50.0, 136.0, "Kunde AG", 10.0),
            (50.0, 152.0, "Hauptstrasse 5, 10115 Berlin", 10.0),
            *stack(120, ("Invoice No:", number), ("Date:", "2024-03-05")),
            *[
                (x, 230.0 + 20 * n, text, 10.0)
                for n, row in enumerate(rows)
                for x, text in zip(INVOICE_COLUMNS_X, row, strict=True)
            ],
            *stack(
                310, ("Subtotal", "100.00 EUR"), ("VAT 19%", "19.00 EUR"), ("Total", "119.00 EUR")
            ),
        ]
        name = f"invoice-{secrets.token_hex(6)}.pdf"
        return make_pdf([page], name).read_bytes()

    return make


@pytest.fixture
def pdf(invoice_pdf: InvoicePdf) -> bytes:
    """The ``invoice_pdf`` invoice with its default fields."""
    return invoice_pdf()


@pytest.fixture
def document(pdf: bytes) -> Document:
    """``pdf`` loaded, as the pipeline would before extraction."""
    return load_bytes(pdf, "invoice.pdf", max_pages=10, max_bytes=10_000_000)


@pytest.fixture
def web_store(web_settings: Settings) -> Iterator[Store]:
    """A migrated ``Store`` on ``web_settings`` (SQLite and PostgreSQL), without the web app."""
    from invoice_extractor.store.repository import Store

    store = Store(web_settings)
    store.migrate()
    yield store
    store.db.dispose()


@pytest.fixture
def cli_on_web_store(web_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The command line pointed at ``web_settings``' store, as a deployment's environment does
    (DATA_DIR, and DATABASE_URL on PostgreSQL); returns those settings."""
    monkeypatch.setenv("DATA_DIR", str(web_settings.data_dir))
    if web_settings.database_url:
        monkeypatch.setenv("DATABASE_URL", web_settings.database_url)
    return web_settings

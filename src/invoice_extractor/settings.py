"""One typed settings object, read from the environment and a ``.env`` file.

Every setting has a default and a help text; ``docs/settings.md`` lists them all and a test
checks it (datasette's ``SETTINGS`` idea). The names of the original app (``GEMINI_API_KEY``,
``SECRET_KEY``, ``FLASK_DEBUG``, ``MAX_INVOICES_PER_SESSION``, ``PORT``) keep working.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import ConfigurationError


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    extractor: str = Field(
        "embedded",
        description="Extraction backend: embedded (offline, default), or another registered name.",
    )
    max_file_mb: int = Field(50, ge=1, description="Largest input file accepted, in MB.")
    max_pages: int = Field(500, ge=1, description="Most pages read from one input file.")
    ocr_engine: str = Field(
        "auto",
        description="OCR engine for scans and photos: auto (till slips by rapidocr, other "
        "pages by tesseract; the one installed when only one is), tesseract, rapidocr, none, or "
        "another registered name.",
    )
    render_dpi: int = Field(
        150, ge=36, le=600, description="Resolution of page images rendered for review, in DPI."
    )
    data_dir: Path = Field(
        Path("data"), description="Where uploads, page images and the SQLite database live."
    )
    secret_key: str | None = Field(
        None, description="Signs session cookies; required unless FLASK_DEBUG is on."
    )
    flask_debug: bool = Field(False, description="Debug mode of the web app (never in production).")
    secure_cookies: bool = Field(
        False, description="Send the session cookie over HTTPS only (set it behind TLS)."
    )
    max_invoices_per_session: int = Field(
        0, ge=0, description="Most invoices one web session may hold (0 = unlimited)."
    )
    port: int = Field(8080, ge=1, le=65535, description="TCP port of `invoice-extractor serve`.")
    workers: int = Field(
        default_factory=lambda: default_workers(),
        ge=1,
        description="Background extraction workers per process.",
        json_schema_extra={"shown_default": "cores, at most 3"},
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the database (postgresql+psycopg://...); "
        "default: SQLite in DATA_DIR.",
    )
    max_upload_mb: int = Field(
        50, ge=1, description="Largest upload request the web app accepts, in MB."
    )
    job_lease_seconds: int = Field(
        30,
        ge=5,
        description="A running job whose worker has not renewed its lease for this long is "
        "taken over by another worker (crash recovery).",
    )
    job_max_attempts: int = Field(
        3, ge=1, description="Attempts before a job that keeps crashing its worker is failed."
    )
    job_timeout_seconds: int = Field(
        1800,
        ge=10,
        description="A job still running after this many seconds fails with a timeout error, "
        "whatever it is stuck in (in-process: its worker thread is replaced; Celery: the "
        "task's time limit). Raise it for scans of hundreds of pages or slow LLMs.",
    )
    gemini_api_key: str | None = Field(
        None, description="Google Gemini API key (only used with the gemini backend)."
    )
    gemini_model: str = Field(
        "gemini-3.8-flash",
        description="Gemini model of the gemini backend (a Flash model: fast and cheap).",
    )
    gemini_base_url: str | None = Field(
        None, description="Endpoint of the Gemini API (a proxy or gateway); default: Google's."
    )
    openai_api_key: str | None = Field(
        None,
        description="API key of the openai backend (any OpenAI-compatible server); "
        "a local server may need none.",
    )
    openai_base_url: str | None = Field(
        None,
        description="URL of an OpenAI-compatible server (vLLM, Ollama, a gateway: "
        "http://host:8000/v1); default: OpenAI's.",
    )
    openai_model: str = Field(
        "gpt-4.1-mini",
        description="Model of the openai backend; it must support JSON-schema output.",
    )
    openai_images: bool = Field(
        True, description="Send page images to the openai backend (off for text-only models)."
    )
    llm_requests_per_minute: int = Field(
        60,
        ge=0,
        description="Requests per minute to the LLM provider, shared by every worker "
        "(0 = unlimited); set it to your quota.",
    )
    llm_tokens_per_minute: int = Field(
        0,
        ge=0,
        description="Tokens per minute to the LLM provider, shared by every worker "
        "(0 = unlimited).",
    )
    llm_timeout_seconds: int = Field(
        300, ge=1, description="Timeout of one LLM request, in seconds."
    )
    llm_max_attempts: int = Field(
        5,
        ge=1,
        description="Attempts per invoice on 429, 5xx and timeouts (exponential backoff, "
        "Retry-After honoured) before it fails with the provider's reason.",
    )
    queue_url: str | None = Field(
        None,
        description="Celery broker URL (redis://... or amqp://...): the web app queues jobs there "
        "and `invoice-extractor worker` runs them; default: worker threads in the web process.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (redis://host:6379/1) shared by all processes: the LLM rate limiter "
        "keeps its quota there; default: limits per process.",
    )
    job_sweep_seconds: int = Field(
        15,
        ge=1,
        description="How often a Celery worker re-sends jobs that lost their message (broker "
        "restarted or down at upload) or their worker (lease expired).",
    )
    seller_memory: bool = Field(
        True,
        description="Learn each seller's layout from corrections, reviewed invoices and "
        "e-invoices, and apply it to the seller's next invoices (False: neither learn nor apply).",
    )
    min_free_disk_mb: int = Field(
        500,
        ge=0,
        description="`/healthz` reports the disk failing below this free space in DATA_DIR.",
    )
    po_quantity_tolerance: float = Field(
        0.0,
        ge=0,
        description="Purchase-order match: percent by which an invoiced quantity (all invoices "
        "of the PO together) may exceed the ordered one before PO-MISMATCH.",
    )
    po_price_tolerance: float = Field(
        1.0,
        ge=0,
        description="Purchase-order match: percent by which an invoiced unit price may differ "
        "from the ordered one before PO-MISMATCH.",
    )
    po_amount_tolerance: float = Field(
        1.0,
        ge=0,
        description="Purchase-order match by supplier and amount (invoices naming no PO): "
        "percent by which the net amount may differ from the PO's.",
    )
    payment_window_days: int = Field(
        60,
        ge=0,
        description="Payment match: a transaction counts for an invoice if booked from its issue "
        "date up to this many days after its due date.",
    )
    payment_terms_days: int = Field(
        30,
        ge=0,
        description="Due date assumed for an invoice that states none (issue date + this many "
        "days), for payment matching and the overdue list.",
    )
    max_import_mb: int = Field(
        20, ge=1, description="Largest purchase-order file or bank statement imported, in MB."
    )
    max_import_rows: int = Field(
        100000,
        ge=1,
        description="Most purchase-order lines or bank transactions in one imported file.",
    )

    match_new_suppliers: bool = Field(
        True,
        description="Warn (SUPPLIER-NEW) on an invoice whose seller VAT id is not yet in the "
        "supplier list; the supplier is added either way.",
    )
    datev_consultant_number: int = Field(
        1001, ge=1001, le=9999999, description="DATEV export: the tax advisor's Beraternummer."
    )
    datev_client_number: int = Field(
        1, ge=1, le=99999, description="DATEV export: the client's Mandantennummer."
    )
    datev_account_length: int = Field(
        4, ge=4, le=8, description="DATEV export: length of the general ledger accounts."
    )
    datev_chart: Literal["03", "04"] = Field(
        "03", description="DATEV export: chart of accounts, 03 (SKR03) or 04 (SKR04)."
    )
    datev_expense_account: int = Field(
        3400,
        ge=1,
        description="DATEV export: the expense account every invoice is booked to "
        "(3400 Wareneingang in SKR03; 5400 in SKR04).",
    )
    datev_collective_supplier_account: int = Field(
        70000,
        ge=1,
        description="DATEV export: the creditor account of invoices whose seller is in no "
        "supplier list entry (suppliers get 70001 and up).",
    )
    bills_date_format: str = Field(
        "%d/%m/%Y",
        description="Bills CSV export (Xero, QuickBooks): date format, as the organisation's "
        "region expects it (%m/%d/%Y in the US).",
    )
    bills_account_code: str | None = Field(
        None,
        description="Bills CSV export: the expense account code of every line (Xero's "
        "AccountCode, QuickBooks' Account); default: left to the importer's mapping.",
    )

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")
    ) -> Settings:
        """Settings from ``environ`` (default ``os.environ``), falling back to ``env_file``."""
        values: dict[str, str] = {}
        if env_file is not None and env_file.is_file():
            values.update(read_env_file(env_file))
        values.update(os.environ if environ is None else environ)
        raw: dict[str, Any] = {}
        for name in cls.model_fields:
            key = name.upper()
            if key in values and values[key] != "":
                raw[name] = values[key]
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigurationError(f"invalid settings: {problems}") from exc

    @property
    def web_extractor(self) -> str:
        """EXTRACTOR when set, else ``auto`` when an LLM is configured, else the default."""
        if "extractor" in self.model_fields_set:
            return self.extractor
        llm = self.gemini_api_key or self.openai_api_key or self.openai_base_url
        return "auto" if llm else self.extractor

    @property
    def database(self) -> str:
        """The database URL in force: DATABASE_URL, else SQLite in DATA_DIR."""
        return (
            self.database_url or f"sqlite:///{(self.data_dir / 'invoice-extractor.db').resolve()}"
        )

    @classmethod
    def documented(cls) -> list[tuple[str, str, str]]:
        """``(ENV_NAME, default, help)`` for every setting, for docs and ``--help``."""
        rows = []
        for name, info in cls.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            shown = extra.get("shown_default")  # a default computed where the app runs
            default = str(shown) if shown else "" if info.default is None else str(info.default)
            rows.append((name.upper(), default, info.description or ""))
        return rows


MAX_DEFAULT_WORKERS = 3


def default_workers() -> int:
    """The CPU cores this process may use, at most 3: extraction is CPU-bound, so more workers
    than cores only take turns, and cost CPU doing it (benchmarks/web_load.py --workers on two
    cores: 3 workers about 5 % more CPU per invoice than 2, and slower); past 3 threads, one
    process gains nothing (they share one interpreter lock: add processes instead)."""
    try:
        cores = len(os.sched_getaffinity(0))  # what a container or taskset allows
    except AttributeError:  # not on every platform
        cores = os.cpu_count() or 1
    return max(1, min(MAX_DEFAULT_WORKERS, cores))


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=value`` lines; ``#`` comments, ``export`` prefixes and quotes are allowed."""
    result: dict[str, str] = {}
    for raw_line in path.read_text(encoding="utf-8").splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        result[key.strip()] = value
    return result

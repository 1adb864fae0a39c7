"""One extraction job, start to end: read the stored upload, run the pipeline, store the result.

Every run is keyed by the worker that claimed the job: if its lease ran out and another worker took
over, this run's result is dropped (``Store.finish`` checks), so a job that runs twice writes once.
"""

from __future__ import annotations

import logging
import time

from ..errors import InvoiceExtractorError
from ..ingest.loader import load_bytes
from ..matching.purchase_orders import check_job
from ..matching.service import on_stored
from ..pipeline import extract_document
from ..store.models import Job, JobState
from ..store.repository import Store

log = logging.getLogger(__name__)


def run_job(store: Store, job: Job, worker: str) -> None:
    settings = store.settings
    started = time.perf_counter()
    try:
        stored = store.file(job.session_id, job.file_id)
        data = store.blobs.get(stored.sha256)
        document = load_bytes(
            data,
            stored.name,
            max_pages=settings.max_pages,
            max_bytes=settings.max_file_mb * 1024 * 1024,
            ocr_engine=settings.ocr_engine,
        )
        store.set_state(job.id, worker, JobState.EXTRACTING)
        # Without EXTRACTOR set, the web uses auto when an LLM key is configured.
        web = settings.web_extractor
        invoices = extract_document(
            document,
            settings=settings,
            extractor=None if web == settings.extractor else web,
            memory=store.sellers,
        )
    except InvoiceExtractorError as exc:
        store.fail(job.id, worker, str(exc))
        return
    except Exception as exc:  # a bug on one file must not kill the worker
        log.exception("job %s failed", job.id)
        store.fail(job.id, worker, f"internal error: {type(exc).__name__}: {exc}")
        return
    # A failed write (database briefly gone) propagates: the worker loop logs it and the job's
    # lease runs out, so it is retried; it must never be recorded as done without its invoices.
    # The duplicate and supplier checks run in the transaction that stores the invoices: no
    # reader sees the job done before its invoices carry their DUPLICATE / SUPPLIER warnings.
    if store.finish(job, worker, invoices, time.perf_counter() - started, on_stored(store)):
        _check_purchase_orders(store, job.id)


def _check_purchase_orders(store: Store, job_id: int) -> None:
    """The PO match of the job's new invoices; the invoices are stored whatever it does."""
    try:
        check_job(store, job_id)
    except Exception:
        log.exception("purchase-order check of job %s failed", job_id)

"""Idle in-process workers sleep until ``submit`` wakes them (``InProcessQueue._idle``), with only
a slow poll for other processes' jobs: a job submitted here is taken without that poll, and a
submit made while a worker was claiming (finding nothing yet) is not slept through."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import pytest

from invoice_extractor.jobs.inprocess import InProcessQueue
from invoice_extractor.store.models import JobState
from invoice_extractor.store.repository import Store

if TYPE_CHECKING:
    from conftest import InvoicePdf

NEVER = 3600.0  # the slow poll of these queues: a test that needed it would time out


@pytest.fixture
def store(web_store: Store) -> Store:
    """conftest's migrated store, under this module's shorter name."""
    return web_store


def _returns(call: threading.Thread, within: float = 60.0) -> bool:
    call.start()
    call.join(within)
    return not call.is_alive()


def test_a_submit_after_the_count_a_worker_read_keeps_it_awake(store: Store) -> None:
    queue = InProcessQueue(store, workers=1, poll_seconds=NEVER)  # not started: no thread
    counted = queue._submits
    queue.submit(1)  # made while the worker was claiming
    assert _returns(threading.Thread(target=queue._idle, args=(counted,), daemon=True))


def test_an_idle_worker_sleeps_until_a_submit(store: Store) -> None:
    queue = InProcessQueue(store, workers=1, poll_seconds=NEVER)
    sleeper = threading.Thread(target=queue._idle, args=(queue._submits,), daemon=True)
    sleeper.start()
    sleeper.join(0.2)
    assert sleeper.is_alive()  # nothing submitted: it waits for the slow poll
    queue.submit(1)
    sleeper.join(60)
    assert not sleeper.is_alive()


def test_a_job_submitted_here_is_taken_without_the_slow_poll(
    store: Store, invoice_pdf: InvoicePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = InProcessQueue(store, workers=2, poll_seconds=NEVER)
    idle, entered, lock = queue._idle, threading.Semaphore(0), threading.Lock()

    def counted_idle(submits: int) -> None:
        with lock:
            entered.release()
        idle(submits)

    monkeypatch.setattr(queue, "_idle", counted_idle)
    queue.start()
    try:
        for _ in range(2):  # both workers found nothing and went to sleep
            assert entered.acquire(timeout=60)
        session_id, _ = store.create_session()
        for n in range(3):
            _, job = store.add_upload(session_id, f"{n}.pdf", invoice_pdf(f"W-{n}"))
            queue.submit(job.id)
        deadline = time.monotonic() + 120
        states: list[str] = []
        while time.monotonic() < deadline:
            states = [job.state for _, job in store.files(session_id)]
            if all(state == JobState.DONE for state in states):
                break
            time.sleep(0.05)
        assert states == [JobState.DONE] * 3
    finally:
        queue.stop()

"""The web app as real processes: a crash mid-batch loses nothing, and the original gunicorn
command line boots (with SECRET_KEY) or refuses to (without it).

Every test starts its own server subprocess on a free loopback port with its own DATA_DIR (see
``helpers_server``); they take a few seconds to a minute each.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests

from helpers_server import (
    CORPUS,
    REPO_ROOT,
    RUNNING_STATES,
    Api,
    executable,
    start_gunicorn,
    start_serve,
)

if TYPE_CHECKING:
    from conftest import MakePdf, PageSpec, TextItem

CORPUS_FILES = (
    "zugferd-corpus/EN16931_Rabatte.visual.pdf",
    "4d-writepro-facturx/facturxSample_AlphaCars_de.visual.pdf",
    "securibox-facturx/Facture_F20260023-LE_FOURNISSEUR-POUR-LE_CLIENT_EXTENDED.visual.pdf",
)
PAGES_PER_INVOICE = 4
ITEMS_PER_PAGE = 45


def invoice_pages(number: str, seller: str, unit_cents: int) -> list[PageSpec]:
    """One invoice over several dense pages ("Page k of N"), its total on the last page."""
    pages: list[PageSpec] = []
    for page in range(1, PAGES_PER_INVOICE + 1):
        items: list[TextItem] = [
            (50, 60, seller, 16),
            (330, 110, "Invoice No:", 10),
            (450, 110, number, 10),
            (330, 125, "Invoice Date:", 10),
            (450, 125, "31.03.2024", 10),
        ]
        for row in range(ITEMS_PER_PAGE):
            y = 170 + row * 13
            line = (page - 1) * ITEMS_PER_PAGE + row + 1
            items += [
                (50, y, f"Item {line}: spare part {number}-{line:03d}", 9),
                (400, y, "1", 9),
                (470, y, f"{unit_cents // 100}.{unit_cents % 100:02d}", 9),
            ]
        if page == PAGES_PER_INVOICE:
            total = unit_cents * ITEMS_PER_PAGE * PAGES_PER_INVOICE
            items += [(330, 780, "Total", 10), (450, 780, f"{total // 100}.{total % 100:02d}", 10)]
        items.append((450, 810, f"Page {page} of {PAGES_PER_INVOICE}", 8))
        pages.append(items)
    return pages


def make_batch(make_pdf: MakePdf, directory: Path, start: int, count: int) -> list[Path]:
    """``count`` PDFs, each holding two multi-page invoices with their own numbers."""
    paths = []
    for n in range(start, start + count):
        pages = invoice_pages(f"K-{n:03d}-A", "Acme Trading Ltd", 1000 + n) + invoice_pages(
            f"K-{n:03d}-B", "Other Supplier GmbH", 2000 + n
        )
        paths.append(make_pdf(pages, f"batch-{n:03d}.pdf", directory=directory))
    return paths


def cli_invoice_numbers(paths: list[Path], out: Path) -> dict[str, list[str | None]]:
    """File name -> invoice numbers, from one clean ``invoice-extractor extract --out`` run."""
    cmd = [executable("invoice-extractor"), "extract", "--quiet", "--out", str(out)]
    done = subprocess.run(
        [*cmd, *map(str, paths)], capture_output=True, text=True, timeout=300, cwd=out.parent
    )
    assert done.returncode == 0, done.stderr
    result = {}
    for path in paths:  # the test's names are distinct safe stems: out/STEM.json
        invoices = json.loads((out / f"{path.stem}.json").read_text(encoding="utf-8"))
        result[path.name] = [inv["invoice_number"] for inv in invoices]
    return result


def numbers_by_file(invoices: list[dict[str, Any]]) -> dict[str, list[str | None]]:
    result: dict[str, list[str | None]] = {}
    for inv in invoices:
        result.setdefault(inv["file"], []).append(inv["invoice_number"])
    return result


def test_sigkill_mid_batch_loses_nothing_and_keeps_edits(make_pdf: MakePdf, tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    paths = make_batch(make_pdf, inputs, 1, 12)
    if CORPUS.is_dir():
        paths += [CORPUS / name for name in CORPUS_FILES if (CORPUS / name).is_file()]
    data_dir = tmp_path / "data"
    pending_at_kill: list[dict[str, Any]] = []
    with start_serve(data_dir) as server:
        api_first = Api(server.url)
        session_id, token = api_first.create_session()
        api_first.upload(session_id, token, paths)

        # The first invoice to come out is edited while the rest of the batch is still running.
        deadline = time.monotonic() + 60
        while not (invoices := api_first.invoices(session_id, token)):
            assert time.monotonic() < deadline, "no invoice came out within 60s"
            time.sleep(0.05)
        edited = invoices[0]
        new_total = "98765.43"
        assert edited["total"] != new_total
        api_first.patch(session_id, token, edited["id"], {"total": new_total})

        # Kill while jobs are still queued or running; if the batch was too quick, add more.
        extra = 13
        for _ in range(5):
            jobs = api_first.jobs(session_id, token)
            pending_at_kill = [j for j in jobs if j["state"] in RUNNING_STATES]
            if pending_at_kill:
                break
            more = make_batch(make_pdf, inputs, extra, 8)
            extra += 8
            paths += more
            api_first.upload(session_id, token, more)
        assert pending_at_kill, "every job finished before the kill could happen"
        print("at kill:", dict(Counter(j["state"] for j in jobs)))
        server.kill()
        assert server.proc.returncode == -9
        assert not server.group_pids(), "a server process survived SIGKILL"

    expected = cli_invoice_numbers(paths, tmp_path / "cli-out")

    with start_serve(data_dir) as server:  # same DATA_DIR, a new process (and port)
        api = Api(server.url)
        jobs = api.wait_done(session_id, token, timeout=120)
        invoices = api.invoices(session_id, token)
        edited_after = api.invoice(session_id, token, edited["id"])
        history = api.edits(session_id, token, edited["id"])
        csv_text = api.export(session_id, token)

    # Every upload ends done: none lost, none failed, none still waiting.
    assert sorted(j["name"] for j in jobs) == sorted(p.name for p in paths)
    states = Counter(j["state"] for j in jobs)
    assert states == {"done": len(paths)}, {j["name"]: (j["state"], j["error"]) for j in jobs}
    # The jobs cut off by the kill were run again (a second attempt), and only they.
    retried = {j["name"] for j in jobs if j["attempts"] > 1}
    print("after restart:", len(jobs), "jobs done,", len(retried), "run twice")
    assert retried <= {j["name"] for j in pending_at_kill}, retried

    # Each file has exactly its invoices, once: the same numbers as a clean CLI run, no copies.
    got = numbers_by_file(invoices)
    assert got == expected
    assert sum(len(v) for v in expected.values()) == len(invoices)
    keys = [(inv["file_id"], tuple(inv["pages"])) for inv in invoices]
    assert len(keys) == len(set(keys)), "an invoice is stored twice"
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(rows) == len(invoices)

    # The edit made before the crash survived: the value, its history, and in the export.
    assert edited_after["total"] == new_total
    assert "total" in edited_after["corrected_fields"]
    total_edits = [e for e in history if e["path"] == "total"]
    assert [(e["old_value"], e["new_value"]) for e in total_edits] == [(edited["total"], new_total)]
    assert any(r["total"] == new_total and r["file"] == edited["file"] for r in rows)


def simple_invoice(number: str, seller: str, total: str) -> list[TextItem]:
    return [
        (50, 60, seller, 16),
        (330, 120, "Invoice No:", 10),
        (450, 120, number, 10),
        (330, 310, "Total", 10),
        (460, 310, f"{total} EUR", 10),
    ]


def _repo_env_file_sets(name: str) -> bool:
    env_file = REPO_ROOT / ".env"
    if not env_file.is_file():
        return False
    return any(
        line.strip().removeprefix("export ").startswith(f"{name}=")
        for line in env_file.read_text(encoding="utf-8").splitlines()
    )


def test_gunicorn_original_command_line_serves_the_app(make_pdf: MakePdf, tmp_path: Path) -> None:
    first = make_pdf([simple_invoice("GUNI-1001", "Acme Trading Ltd", "100.00")], "first.pdf")
    second = make_pdf([simple_invoice("GUNI-2002", "Other Supplier GmbH", "200.00")], "second.pdf")
    with start_gunicorn(tmp_path / "data", workers=4) as server:
        assert len(server.group_pids()) == 5, f"expected a master and 4 workers:\n{server.log()}"
        api = Api(server.url)
        index = requests.get(server.url + "/", timeout=30)  # not api.http: no page cookie
        assert index.status_code == 200
        assert "Start a new session" in index.text
        session_id, token = api.create_session()
        api.upload(session_id, token, [first, second])
        jobs = api.wait_done(session_id, token, timeout=120)
        assert [j["state"] for j in jobs] == ["done", "done"], jobs
        csv_text = api.export(session_id, token)
    numbers = {row["invoice_number"] for row in csv.DictReader(io.StringIO(csv_text))}
    assert {"GUNI-1001", "GUNI-2002"} <= numbers, csv_text


def test_gunicorn_without_secret_key_refuses_to_boot(tmp_path: Path) -> None:
    if _repo_env_file_sets("SECRET_KEY") or _repo_env_file_sets("FLASK_DEBUG"):
        pytest.skip("the repository's .env sets SECRET_KEY or FLASK_DEBUG: gunicorn would boot")
    server = start_gunicorn(tmp_path / "data", workers=4, wait=False, secret_key=None)
    try:
        code = server.proc.wait(timeout=90)
    except subprocess.TimeoutExpired:
        pytest.fail(f"gunicorn without SECRET_KEY was still running after 90s:\n{server.log()}")
    finally:
        server.stop()
    assert code != 0, server.log()
    assert "SECRET_KEY is not set" in server.log(tail=100_000), server.log()

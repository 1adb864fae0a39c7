"""The hostile files of issue 15, at full size: time and peak RSS of the CLI and of the web server.

Builds, in a temporary directory: a 14400 pt page (30000 px a side at 150 dpi uncapped), a
200000 pt page, three 1 GiB content streams (Flate; LZW; Flate then RunLength), a factur-x.xml
of 2 GiB in the EmbeddedFiles name tree and one in an /AF array, an 88-megapixel PNG and a
30000 x 30000 PNG. Then

- the CLI (``invoice-extractor extract``) on each file, and on the four bombs together;
- a real server (``invoice-extractor serve``, in-process workers): every file uploaded to one
  session, the jobs waited for, and the page image of the huge page fetched.

Prints wall time, peak RSS and each outcome. Targets (issue 15): the four bombs together < 20 s
and < 1 GB; the huge page's image < 5 s at <= 10000 px a side. Only loopback traffic.

    .venv/bin/python benchmarks/bombs.py
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from helpers_bombs import (
    attachment_bomb_pdf,
    blank_png,
    content_bomb_pdf,
    huge_page_pdf,
)
from helpers_server import Api, executable, peak_rss_kib, start_serve

GIB = 1024**3
# The four bombs of the issue: page image, attachment, content stream, 88-megapixel PNG.
FOUR = ("huge-page.pdf", "attachment-name-tree.pdf", "content-1gib.pdf", "png-88mp.png")


def build(directory: Path) -> list[Path]:
    files = {
        "huge-page.pdf": huge_page_pdf(14400),
        "absurd-page.pdf": huge_page_pdf(200_000),
        "attachment-name-tree.pdf": attachment_bomb_pdf(2 * GIB, via_af=False),
        "attachment-af.pdf": attachment_bomb_pdf(2 * GIB, via_af=True),
        "content-1gib.pdf": content_bomb_pdf(GIB),
        "content-lzw-1gib.pdf": content_bomb_pdf(GIB, "lzw"),
        "content-flate-rl-1gib.pdf": content_bomb_pdf(GIB, "flate-runlength"),
        "png-88mp.png": blank_png(9400, 9400),
        "png-30000px.png": blank_png(30000, 30000, rows=1),
    }
    paths = []
    for name, data in files.items():
        path = directory / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def run_cli(paths: list[Path]) -> tuple[float, int, list[dict[str, object]]]:
    """Wall time, peak RSS (KiB) and the invoices of one ``extract`` run on ``paths``."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [executable("invoice-extractor"), "extract", "--format", "json", *map(str, paths)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, _, usage = os.wait4(proc.pid, 0)
    invoices: list[dict[str, object]] = json.loads(out or b"[]")
    return time.perf_counter() - start, usage.ru_maxrss, invoices


def outcome(invoice: dict[str, object]) -> str:
    warnings = [str(w).split(":")[0] for w in invoice.get("warnings") or []]  # type: ignore[attr-defined]
    detail = str(invoice.get("error") or ",".join(sorted(set(warnings))) or "")
    return f"{invoice.get('status')}: {detail[:90]}"


def cli_figures(paths: list[Path]) -> None:
    print("CLI (invoice-extractor extract), one process per file:")
    for path in paths:
        seconds, rss, invoices = run_cli([path])
        shown = "; ".join(outcome(i) for i in invoices)
        print(f"  {path.name:26} {seconds:6.2f} s {rss / 1024:7.0f} MB  {shown}")
    four = [p for p in paths if p.name in FOUR]
    seconds, rss, _ = run_cli(four)
    target = "(target < 20 s, < 1 GB)"
    print(f"  the four bombs in one run  {seconds:6.2f} s {rss / 1024:7.0f} MB  {target}")


def web_figures(paths: list[Path], directory: Path) -> None:
    data_dir = directory / "data"
    with start_serve(data_dir, WORKERS="2") as server:
        api = Api(server.url)
        session_id, token = api.create_session()
        start = time.perf_counter()
        api.upload(session_id, token, paths)
        jobs = api.wait_done(session_id, token, timeout=300)
        seconds = time.perf_counter() - start
        print(f"web server: {len(jobs)} uploads done in {seconds:.2f} s")
        for job in sorted(jobs, key=lambda j: str(j["name"])):
            print(f"  {job['name']:26} {job['state']:8} {str(job.get('error') or '')[:90]}")
        [huge] = [j for j in jobs if j["name"] == "huge-page.pdf"]
        url = f"{api.base}/sessions/{session_id}/files/{huge['file_id']}/pages/1.png"
        start = time.perf_counter()
        response = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=120)
        seconds = time.perf_counter() - start
        size = Image.open(io.BytesIO(response.content)).size if response.ok else None
        print(
            f"  page image of the huge page: {response.status_code} in {seconds:.2f} s, {size} px "
            "(target < 5 s, <= 10000 px a side)"
        )
        peaks = peak_rss_kib(server.group_pids())
        print(f"  server peak RSS: {max(peaks.values(), default=0) / 1024:.0f} MB")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bombs-") as tmp:
        directory = Path(tmp)
        start = time.perf_counter()
        paths = build(directory)
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1024:.0f} KB" for p in paths)
        print(f"built in {time.perf_counter() - start:.1f} s: {sizes}")
        cli_figures(paths)
        web_figures(paths, directory)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

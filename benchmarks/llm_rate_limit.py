"""Rate-limit benchmark of the LLM backends: many invoices, one quota, no 429 of our making.

A fake provider on 127.0.0.1 (``tests/llm_fakes.py``) answers every request after LATENCY seconds
and enforces LIMIT requests per minute over a sliding 60 s window, answering 429 with
``Retry-After`` above it, as a real provider does. INVOICES one-page invoices go through the real
backend (the google-genai or openai SDK) from WORKERS threads that share the process's limiter.
Prints the request rate the provider saw against the limit, the end-to-end throughput, the 429s,
the failed and lost jobs and the wall time; exits 1 when a 429 was caused, a job failed or was
lost, or the rate fell under 95% of the limit. Only loopback traffic; bounded by the invoice count
(about INVOICES / LIMIT minutes).

    /work/venv/bin/python benchmarks/llm_rate_limit.py [--invoices 100] [--limit 60]
        [--latency 2] [--workers 4] [--provider gemini|openai] [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from fpdf import FPDF

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from invoice_extractor.extract.llm import GeminiExtractor, LlmConfig, OpenAIExtractor
from invoice_extractor.ingest.document import Document
from invoice_extractor.ingest.loader import load_bytes
from invoice_extractor.ingest.pdf import render_page
from invoice_extractor.model import Status
from llm_fakes import FakeLlmServer

ANSWER = {
    "document_type": "invoice",
    "invoice_number": "BM-1001",
    "issue_date": "2024-03-05",
    "currency": "EUR",
    "seller": {"name": "Benchmark Supplies Ltd"},
    "subtotal": "100.00",
    "tax_total": "19.00",
    "total": "119.00",
    "amount_due": "119.00",
}


def make_invoice() -> tuple[Document, bytes]:
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    lines = [
        "Benchmark Supplies Ltd",
        "Invoice No: BM-1001",
        "Date: 2024-03-05",
        "Consulting  2  50.00  100.00",
        "Subtotal 100.00 EUR",
        "VAT 19% 19.00 EUR",
        "Total 119.00 EUR",
    ]
    for n, line in enumerate(lines):
        pdf.text(50, 60 + 18 * n, line)
    data = bytes(pdf.output())
    return load_bytes(data, "benchmark.pdf", max_pages=5, max_bytes=10_000_000), data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=int, default=100)
    parser.add_argument("--limit", type=int, default=60, help="the provider's requests/min")
    parser.add_argument("--latency", type=float, default=2.0, help="seconds per answer")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--provider", choices=("gemini", "openai"), default="gemini")
    parser.add_argument("--redis", default=None, help="share the limiter through this Redis")
    args = parser.parse_args()

    document, data = make_invoice()
    with FakeLlmServer(ANSWER, latency=args.latency, limit_per_minute=args.limit) as server:
        config = LlmConfig(
            provider=args.provider,
            model="benchmark-model",
            api_key="benchmark-key-not-secret",
            base_url=server.url + ("/v1" if args.provider == "openai" else ""),
            timeout=30,
            requests_per_minute=args.limit,
            redis_url=args.redis,
            image_dpi=72,
        )
        backend_class = GeminiExtractor if args.provider == "gemini" else OpenAIExtractor
        backend = backend_class(
            config,
            images=lambda doc, pages, dpi: [render_page(data, doc.name, n, dpi) for n in pages],
        )
        ok = failed = 0
        errors: list[str] = []
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            jobs = [pool.submit(backend.extract, document, [1]) for _ in range(args.invoices)]
            for job in as_completed(jobs):
                invoice = job.result()
                if invoice.status is Status.FAILED:
                    failed += 1
                    errors.append(invoice.error or "")
                else:
                    ok += 1
        wall = time.monotonic() - started
        arrivals = sorted(s.at for s in server.seen)
        rejected = server.rejected

    lost = args.invoices - ok - failed
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    rate = (len(arrivals) - 1) / span * 60 if span else float("nan")
    throughput = ok / wall * 60
    print(
        f"provider            {args.provider} (real SDK) -> fake server {args.latency:g} s latency"
    )
    print(f"invoices            {args.invoices} with {args.workers} worker threads")
    print(f"limit               {args.limit} requests/min (sliding 60 s window at the server)")
    print(f"requests sent       {len(arrivals)}")
    print(
        f"request rate        {rate:.1f} req/min at the server = {rate / args.limit:.1%} of limit"
    )
    print(
        f"throughput          {throughput:.1f} invoices/min end to end = "
        f"{throughput / args.limit:.1%} of limit"
    )
    print(f"429 answers         {rejected}")
    print(f"ok / failed / lost  {ok} / {failed} / {lost}")
    print(f"wall time           {wall:.1f} s")
    for error in errors[:5]:
        print(f"  failed: {error}")
    good = rejected == 0 and failed == 0 and lost == 0 and rate >= 0.95 * args.limit
    print("PASS" if good else "FAIL")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())

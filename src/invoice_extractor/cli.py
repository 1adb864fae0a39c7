"""The command line: ``extract FILE...``, ``eval CORPUS``, ``convert FILE``, ``synth OUT_DIR``.

stdout carries only the result (JSON, CSV or the report); progress, logs and errors go to stderr.
Exit codes: 0 done, 1 every input file failed, 2 usage error (bad option, unknown extractor, bad
settings, no evaluation cases).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path

# The application registers no pydantic plugin, and looking for them scans the entry points of
# every installed distribution when the first model is built (milliseconds of every CLI start).
# A value the user set (even an empty one, to have plugins looked for) is kept.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from . import __version__
from .extract.embedded.code_cache import cached_dataclass_code

# The classes of these imports (pydantic's, the model's) are built from compiled code cached
# once per machine: building them is a good part of every CLI process's start.
with cached_dataclass_code():
    from .cli_matching import add_commands as add_matching_commands
    from .corpus import SUBSETS, find_cases
    from .errors import ConfigurationError
    from .export.csv_export import invoices_to_csv
    from .export.json_export import invoices_to_json
    from .gc_tuning import tune_for_batches
    from .matching.commands import add_parsers as add_supplier_commands
    from .model import Invoice, Status
    from .progress import ProgressBar
    from .seller_commands import add_seller_commands, seller_store
    from .settings import Settings

PROG = "invoice-extractor"
_RENDERERS: dict[str, Callable[[Sequence[Invoice]], str]] = {
    "json": invoices_to_json,
    "csv": invoices_to_csv,
}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG, description="Turn invoices into checked, structured data, offline."
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    extract = commands.add_parser(
        "extract", help="extract invoices from files", description="Print every invoice found."
    )
    extract.add_argument("files", nargs="+", metavar="FILE", help="PDF or image files")
    extract.add_argument("--format", choices=sorted(_RENDERERS), default="json")
    _add_extractor(extract)
    extract.add_argument("--out", type=Path, metavar="DIR", help="also write one file per input")
    extract.add_argument(
        "--seller-memory",
        action="store_true",
        help="apply (and, from e-invoices, teach) the web app's seller memory (DATABASE_URL)",
    )
    _add_quiet(extract)
    extract.set_defaults(handler=_extract)

    convert = commands.add_parser(
        "convert",
        help="write an invoice as an EN 16931 e-invoice (CII, UBL or Factur-X)",
        description="Extract FILE and write it as CII or UBL XML, or as a Factur-X PDF (the PDF "
        "with its CII XML embedded). stderr lists the EN 16931 terms still missing and any XSD "
        "error. Exit 0 written and valid, 1 extraction failed or XSD invalid, 2 usage error.",
    )
    convert.add_argument("file", type=Path, metavar="FILE", help="PDF or e-invoice XML file")
    convert.add_argument("--to", choices=("cii", "ubl", "facturx"), required=True)
    convert.add_argument(
        "--out",
        type=Path,
        metavar="PATH",
        help="file or directory to write (several invoices: NAME-1, NAME-2, ...); "
        "XML goes to stdout without it; required for facturx",
    )
    _add_extractor(convert)
    convert.set_defaults(handler=_convert)

    serve = commands.add_parser(
        "serve",
        help="run the web app (embedded engine, no key needed)",
        description="Serve the web app on PORT (default 8080) with background workers.",
    )
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on")
    serve.add_argument("--port", type=int, help="overrides PORT")
    serve.set_defaults(handler=_serve, long_running=True)

    worker = commands.add_parser(
        "worker",
        help="run a Celery worker for the web app's jobs (needs QUEUE_URL)",
        description="Run extraction jobs sent through the broker at QUEUE_URL, in WORKERS "
        "processes, on the database at DATABASE_URL and the uploads in DATA_DIR (both shared "
        "with the web app). SIGTERM stops it after the running jobs.",
    )
    worker.add_argument("--loglevel", default="INFO", help="Celery log level (default INFO)")
    worker.set_defaults(handler=_worker, long_running=True)

    evaluate = commands.add_parser(
        "eval",
        help="score the engine on a corpus",
        description="Extract every corpus document that has a truth file, and score the result.",
    )
    evaluate.add_argument("corpus_dir", type=Path, metavar="CORPUS_DIR")
    evaluate.add_argument("--subset", choices=SUBSETS, help="default: e-invoices and plain PDFs")
    _add_extractor(evaluate)
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument("--verbose", action="store_true", help="list every wrong value")
    evaluate.add_argument(
        "--cross-validate",
        action="store_true",
        help="train on all seller groups but one fold's, score the held-out fold (needs the "
        "train extra); reported beside the in-sample figure",
    )
    _add_training(evaluate)
    _add_quiet(evaluate)
    evaluate.set_defaults(handler=_eval)

    train = commands.add_parser(
        "train",
        help="rebuild the engine's ranker model from labelled documents",
        description="Label every candidate of every document of CORPUS_DIR (and of the training "
        "pool) with its truth file, cross-validate by seller to calibrate confidences and choose "
        "the ok threshold, fit the final model on everything and write it (needs the train "
        "extra: pip install -e '.[train]').",
    )
    train.add_argument("corpus_dir", type=Path, metavar="CORPUS_DIR")
    _add_training(train)
    train.add_argument("--out", type=Path, help="model file (default: the packaged one)")
    _add_quiet(train)
    train.set_defaults(handler=_train)

    add_supplier_commands(commands)  # suppliers, books

    synth = commands.add_parser(
        "synth",
        help="write synthetic invoices with truth files (training data)",
        description="Write COUNT synthetic invoices (NAME.pdf + NAME.truth.json, the corpus's "
        "truth format) into OUT_DIR: six languages, many layouts; the same seed gives the same "
        "documents; `eval OUT_DIR` scores the engine on them. Needs the train extra (fpdf2).",
    )
    synth.add_argument("out_dir", type=Path, metavar="OUT_DIR")
    synth.add_argument("--count", type=int, default=100, help="documents to write (default 100)")
    synth.add_argument("--seed", type=int, default=0, help="generator seed (default 0)")
    synth.add_argument("--receipts", action="store_true", help="till receipts (NAME.png)")
    synth.set_defaults(handler=_synth)
    add_matching_commands(commands)
    add_seller_commands(commands)
    return parser


def _add_training(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--pool",
        type=Path,
        action="append",
        help="a training-only folder of e-invoices (repeatable; default: a 'train' folder "
        "beside CORPUS_DIR, where there is one)",
    )
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default 5)")


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from .web.server import serve

    if args.port:
        settings = settings.model_copy(update={"port": args.port})
    serve(settings, host=args.host)
    return 0


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from .errors import StorageError

    if not settings.queue_url:
        return _usage_error("the worker needs QUEUE_URL (e.g. redis://localhost:6379/0)")
    from .jobs.celery.worker import run_worker

    try:
        run_worker(settings, loglevel=args.loglevel)
    except StorageError as exc:  # the database stayed unreachable: say so, no traceback
        print(f"{PROG} worker: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _add_extractor(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--extractor", metavar="NAME", help="backend (default: EXTRACTOR setting)")


def _add_quiet(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors; return the code
        return exc.code if isinstance(exc.code, int) else 2
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        # The stack a short command imports (the engine's classes); a server or worker keeps
        # running with threads: it imports once and keeps ``dataclasses`` as it is.
        long_running = getattr(args, "long_running", False)
        with nullcontext() if long_running else cached_dataclass_code():
            settings = Settings.from_env()
            handler: Callable[[argparse.Namespace, Settings], int] = args.handler
            return handler(args, settings)
    except ConfigurationError as exc:  # bad settings, unknown extractor: the user's to fix
        return _usage_error(str(exc))


def _usage_error(message: str) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return 2


def _extract(args: argparse.Namespace, settings: Settings) -> int:
    # Tuned first: the extraction stack's imports then run with fewer collections, and tuned
    # again after them, so that what they loaded is frozen too.
    tune_for_batches()
    # Imported on use: --help and usage errors answer without loading the extraction stack.
    from . import pipeline

    tune_for_batches()
    paths: list[Path] = [Path(name) for name in args.files]
    out: Path | None = args.out
    if out is not None:
        try:  # before the work: a bad --out should not cost a whole batch
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return _usage_error(f"--out {out}: {exc.strerror or exc}")
    results: list[list[Invoice]] = []
    # Only with --seller-memory: without it the CLI opens no database.
    memory = {"memory": seller_store(settings).sellers} if args.seller_memory else {}
    with ProgressBar(enabled=not args.quiet and len(paths) > 1) as progress:
        for position, path in enumerate(paths, start=1):
            progress(position, len(paths), path.name)
            results.append(
                pipeline.extract_file(path, settings=settings, extractor=args.extractor, **memory)
            )
    render = _RENDERERS[args.format]
    _print(render([invoice for invoices in results for invoice in invoices]))
    if out is not None:
        for name, invoices in zip(output_names(paths), results, strict=True):
            text = render(invoices)
            # newline="": keep the CSV's CRLF row ends as they are on every platform.
            (out / f"{name}.{args.format}").write_text(
                text if text.endswith("\n") else text + "\n", encoding="utf-8", newline=""
            )
    succeeded = any(inv.status != Status.FAILED for invoices in results for inv in invoices)
    return 0 if succeeded else 1


def _eval(args: argparse.Namespace, settings: Settings) -> int:
    corpus: Path = args.corpus_dir
    if not corpus.is_dir():
        return _usage_error(f"{corpus}: not a directory")
    cases = find_cases(corpus, args.subset)
    if not cases:
        subset = f" of subset {args.subset!r}" if args.subset else ""
        return _usage_error(f"{corpus}: no documents{subset} with a .truth.json file")
    if args.cross_validate:
        from .training.commands import cross_validate_command

        return cross_validate_command(
            corpus, cases, _pools(args), args.folds, args.verbose, settings
        )
    from .evaluation import format_report, run_eval  # the scoring rules: loaded by eval alone

    with ProgressBar(enabled=not args.quiet and len(cases) > 1) as progress:
        report = run_eval(cases, args.extractor, settings, progress)
    if args.json:
        _print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print(format_report(report, verbose=args.verbose))
    return 0


def _pools(args: argparse.Namespace) -> list[Path]:
    if args.pool:
        return list(args.pool)
    sibling = args.corpus_dir.resolve().parent / "train"
    return [sibling] if sibling.is_dir() else []


def _train(args: argparse.Namespace, settings: Settings) -> int:
    from .training.commands import train_command

    if not args.corpus_dir.is_dir():
        return _usage_error(f"{args.corpus_dir}: not a directory")
    return train_command(args.corpus_dir, _pools(args), args.folds, args.out, settings)


def _synth(args: argparse.Namespace, settings: Settings) -> int:
    if args.count < 1:
        return _usage_error("--count must be at least 1")
    from .training.synth import write_synthetic
    from .training.synth_receipt import write_receipts

    write, kind = (write_receipts, "receipts") if args.receipts else (write_synthetic, "invoices")
    paths = write(args.out_dir, args.count, args.seed)
    print(f"wrote {len(paths)} {kind} to {args.out_dir}", file=sys.stderr)
    return 0


def _convert(args: argparse.Namespace, settings: Settings) -> int:
    from . import pipeline
    from .export.facturx import convert, select_pages
    from .ingest.pdf import is_pdf

    path: Path = args.file
    out: Path | None = args.out
    if out is not None and not out.is_dir() and not out.parent.is_dir():
        return _usage_error(f"--out {out}: no such directory {out.parent}")
    pdf: bytes | None = None
    if args.to == "facturx":
        if out is None:
            return _usage_error("--to facturx writes a PDF: give --out PATH")
        try:
            pdf = path.read_bytes()
        except OSError as exc:
            return _usage_error(f"{path}: {exc.strerror or exc}")
        if not is_pdf(pdf):
            return _usage_error(f"{path.name}: --to facturx needs a PDF invoice")
    invoices = pipeline.extract_file(path, settings=settings, extractor=args.extractor)
    count = len(invoices)
    if count > 1 and out is None:
        return _usage_error(f"{path.name} holds {count} invoices: give --out to write one each")
    written_and_valid = True
    for number, invoice in enumerate(invoices, start=1):
        label = path.name if count == 1 else f"{path.name} invoice {number}"
        if invoice.status == Status.FAILED:
            print(f"{label}: extraction failed: {invoice.error}", file=sys.stderr)
            written_and_valid = False
            continue
        own_pdf = pdf if pdf is None or count == 1 else select_pages(pdf, invoice.pages)
        result = convert(invoice, args.to, own_pdf)
        if result.missing:
            print(f"{label}: EN 16931 still needs: {', '.join(result.missing)}", file=sys.stderr)
        for error in result.xsd_errors:
            print(f"{label}: XSD: {error}", file=sys.stderr)
        for error in result.rule_errors:
            print(f"{label}: EN 16931 rule: {error}", file=sys.stderr)
        if result.data is None:
            print(f"{label}: no Factur-X PDF written: its XML fails the XSD", file=sys.stderr)
        elif out is None and not result.valid:  # stdout takes only XML fit to send
            print(
                f"{label}: no XML printed: it fails validation (--out writes it)", file=sys.stderr
            )
        elif out is None:
            sys.stdout.flush()
            sys.stdout.buffer.write(result.data)
            sys.stdout.buffer.flush()
        else:
            target = _convert_target(out, path, args.to, number, count)
            target.write_bytes(result.data)
            print(f"{label}: wrote {target}", file=sys.stderr)
        written_and_valid = written_and_valid and result.valid
    return 0 if written_and_valid else 1


def _convert_target(out: Path, source: Path, to: str, number: int, count: int) -> Path:
    """``out`` itself, ``out`` numbered (``NAME-2.xml``) or a file named after ``source`` in the
    directory ``out``."""
    suffix = "" if count == 1 else f"-{number}"
    if out.is_dir():
        return out / f"{safe_stem(source.name)}{suffix}{'.pdf' if to == 'facturx' else '.xml'}"
    return out.with_name(f"{out.stem}{suffix}{out.suffix}")


def safe_stem(file_name: str) -> str:
    """A file name's stem reduced to ``[A-Za-z0-9._-]``: never a path, never hidden, never empty."""
    return _UNSAFE.sub("_", Path(file_name).stem).lstrip(".") or "file"


def output_names(paths: Sequence[Path]) -> list[str]:
    """One safe, distinct stem per input (``a/x.pdf`` and ``b/x.pdf`` give ``x`` and ``x-2``)."""
    names: list[str] = []
    used: set[str] = set()
    for path in paths:
        stem = candidate = safe_stem(path.name)
        number = 2
        while candidate.casefold() in used:  # casefold: macOS and Windows ignore case
            candidate = f"{stem}-{number}"
            number += 1
        used.add(candidate.casefold())
        names.append(candidate)
    return names


def _print(text: str) -> None:
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


if __name__ == "__main__":
    sys.exit(main())

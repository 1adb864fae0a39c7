"""``invoice-extractor learn FILE --truth FILE.json`` and ``invoice-extractor sellers ...``: the
seller memory from the command line, in the web app's store (``DATABASE_URL`` / ``DATA_DIR``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InvoiceExtractorError
from .settings import Settings

if TYPE_CHECKING:
    from .store.repository import Store

PROG = "invoice-extractor"


def add_seller_commands(commands: Any) -> None:
    learn = commands.add_parser(
        "learn",
        help="teach the seller memory one document's layout from its truth file",
        description="Teach the seller memory (the web app's database) the layout of FILE's "
        "seller: every printed field of the truth file (the corpus's format) is confirmed, as if "
        "a clerk had reviewed the invoice. Prints the fields learned.",
    )
    learn.add_argument("file", type=Path, metavar="FILE")
    learn.add_argument("--truth", type=Path, required=True, metavar="FILE.json")
    learn.set_defaults(handler=_learn)
    sellers = commands.add_parser(
        "sellers",
        help="list, export, import or forget the known sellers",
        description="The seller memory: `list` (JSON), `export` (JSON on stdout), `import FILE`, "
        "`forget ID` or `forget --all`.",
    )
    sellers.add_argument("action", choices=("list", "export", "import", "forget"))
    sellers.add_argument("target", nargs="?", help="the file to import, or the seller id")
    sellers.add_argument("--all", action="store_true", help="with forget: every seller")
    sellers.set_defaults(handler=_sellers)


def seller_store(settings: Settings) -> Store:
    """The web app's store (migrated), for the seller memory of the command line."""
    from .store.repository import Store

    store = Store(settings)
    store.migrate()
    return store


def _learn(args: argparse.Namespace, settings: Settings) -> int:
    from .evaluation import load_truth
    from .learning import teach_file

    if not args.file.is_file() or not args.truth.is_file():
        return _error(f"{args.file if not args.file.is_file() else args.truth}: no such file", 2)
    try:
        truth = load_truth(args.truth)
        store = seller_store(settings)
        learned = teach_file(args.file, truth, store.sellers, settings)
    except (InvoiceExtractorError, ValueError) as exc:
        return _error(str(exc), 1)
    print(json.dumps({"file": args.file.name, "learned": learned}))
    return 0 if learned else 1


def _sellers(args: argparse.Namespace, settings: Settings) -> int:
    try:
        book = seller_store(settings).sellers
        if args.action == "list":
            print(json.dumps([s.to_json() for s in book.known()], indent=2, ensure_ascii=False))
        elif args.action == "export":
            print(json.dumps(book.export(), indent=2, ensure_ascii=False))
        elif args.action == "import":
            if not args.target:
                return _error("sellers import needs the FILE of an export", 2)
            data = json.loads(Path(args.target).read_text(encoding="utf-8"))
            print(json.dumps({"imported": book.import_(data)}))
        elif args.all:
            print(json.dumps({"forgotten": book.forget()}))
        elif args.target and args.target.isdigit():
            print(json.dumps({"forgotten": book.forget(int(args.target))}))
        else:
            return _error("sellers forget needs a seller ID or --all", 2)
    except (InvoiceExtractorError, OSError, ValueError) as exc:
        return _error(str(exc), 1)
    return 0


def _error(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code

"""Rewrite the settings tables in README.md and docs/settings.md from ``Settings.documented()``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from test_docs import settings_rows  # noqa: E402

TABLE = re.compile(r"\| Variable \| Default \| Meaning \|\n\|---\|---\|---\|\n(?:\|.*\|\n)+")


def main() -> None:
    table = "\n".join(["| Variable | Default | Meaning |", "|---|---|---|", *settings_rows()])
    for doc in (ROOT / "README.md", ROOT / "docs" / "settings.md"):
        text = doc.read_text(encoding="utf-8")
        new, count = TABLE.subn(table + "\n", text)
        if count != 1:
            raise SystemExit(f"{doc}: expected one settings table, found {count}")
        doc.write_text(new, encoding="utf-8")


if __name__ == "__main__":
    main()

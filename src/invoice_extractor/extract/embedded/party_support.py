"""What supports a line read as a party name: the block it heads and where else it is printed.

A company name heads a block: its street and postcode + city below it in the same column, often
its VAT id, registration or IBAN further down; the seller's name comes back in the footer. A
stray line (a heading, a reference, a slogan) has none of that. These are features for the
ranker, measured on the words the candidate read, so every rule's name gets the same evidence.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ...ingest.document import Word
from .fields import PageIndex
from .labels import LABEL_RES
from .parties import address_line
from .text import fold

BLOCK_LINES = 8  # lines below a name that may still belong to its block
_FOOTER = 0.8  # the share of the page height below which a line is the footer
# A VAT id, company registration or IBAN printed in the block: the party's own identifiers.
_ID_LABELS = ("seller_vat", "iban")
_ID_SHAPE = re.compile(r"\b[A-Z]{2}\s?\d{2}(?:\s?[0-9A-Z]{2,}){2,}")


def party_support(
    index: PageIndex, words: list[Word], footer: bool = True
) -> tuple[float, float, float]:
    """(an address below the name in its column: 1 on the next line, 1/2 on the second, ...;
    an identifier in that block; the name printed again in a page footer), for the name read
    from ``words``. Without ``footer`` the third is not looked for (0.0): a ranker that reads
    no such column spares the search."""
    if not words:
        return 0.0, 0.0, 0.0
    first = words[0]
    memo = index.page.cache.get("party_support:found")
    if not isinstance(memo, dict):  # (footer, x0, y0, x1) -> what was found, once per page
        memo = index.page.cache["party_support:found"] = {}
    key = (footer, first.x0, first.y0, words[-1].x1)
    found: tuple[float, float, float] | None = memo.get(key)
    if found is None:
        found = (*_block_below(index, first), _in_footer(index, first, words) if footer else 0.0)
        memo[key] = found
    return found


def _line_of(index: PageIndex, word: Word) -> int | None:
    lines = index.page.cache.get("party_support:lines")
    if not isinstance(lines, dict):  # word position -> line, built once per page
        lines = {(w.x0, w.y0): j for j, line in enumerate(index.lines) for w in line.words}
        index.page.cache["party_support:lines"] = lines
    found = lines.get((word.x0, word.y0))
    return found if isinstance(found, int) else None


def _block_below(index: PageIndex, first: Word) -> tuple[float, float]:
    """Address lines and an identifier in the cells aligned under the name, until a gap."""
    j = _line_of(index, first)
    if j is None:
        return 0.0, 0.0
    size = max(first.y1 - first.y0, 4.0)
    gap, reach, x0 = size * 2.5, size * 1.5, first.x0
    address, ident, aligned = 0.0, 0.0, 0
    lines, cells = index.lines, index.cells
    last_y = lines[j].y1
    for k in range(j + 1, min(len(lines), j + 1 + BLOCK_LINES)):
        line = lines[k]
        if line.y0 - last_y > gap:
            break  # a wide gap ends the block
        for cell in cells[k]:  # the first cell starting in the name's column
            if abs(cell.x0 - x0) <= reach:
                break
        else:
            continue
        last_y = line.y1
        aligned += 1
        is_address, is_id = _cell_kind(cell.text)
        if is_address and not address:
            # The nearer the better: a heading above a name has the address one line further.
            address = 1.0 / aligned
        if is_id:
            ident = 1.0
    return address, ident


@lru_cache(maxsize=8192)  # many names share the lines below them
def _cell_kind(text: str) -> tuple[bool, bool]:
    """(an address line: street or postcode + city, an identifier: VAT id or IBAN)."""
    folded = fold(text)
    address = address_line(text)
    ident = bool(_ID_SHAPE.search(text) or any(LABEL_RES[f].search(folded) for f in _ID_LABELS))
    return address, ident


def _in_footer(index: PageIndex, first: Word, words: list[Word]) -> float:
    """1 when the name is printed again in the footer of its page (another line)."""
    name = fold(" ".join(w.text for w in words))
    if len(name) < 3:
        return 0.0
    footer = index.page.cache.get("party_support:footer")
    if not isinstance(footer, list):  # (line, folded text) of the footer, once per page
        height = max(index.page.height, 1.0)
        footer = [
            (j, index.folded[j])
            for j, line in enumerate(index.lines)
            if line.y0 / height >= _FOOTER
        ]
        index.page.cache["party_support:footer"] = footer
    own = _line_of(index, first)
    return float(any(name in text for j, text in footer if j != own))

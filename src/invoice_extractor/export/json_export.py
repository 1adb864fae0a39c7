"""Invoices as the SCHEMA.md JSON array (the CLI's stdout and the API's body are the same text)."""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..model import Invoice


def invoices_to_json(invoices: Iterable[Invoice]) -> str:
    """A JSON array of the invoices, indented by 2, non-ASCII kept as is (names, €)."""
    return json.dumps([inv.to_json_dict() for inv in invoices], indent=2, ensure_ascii=False)

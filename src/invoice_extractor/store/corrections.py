"""A reviewer's corrections checked before they are stored: canonical field paths, amounts in plain
decimal notation within a sane magnitude, text of a bounded length.

Without these bounds ``{"total": "1e20000000"}`` is a valid Decimal that every later read prints
as 20 MB, and ``line_items.-1.description`` edits the last item through Python's negative index.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from ..errors import BadRequest, InvalidFields
from ..model import Invoice
from .local_values import canonical, notation

MAX_TEXT_CHARS = 2000
"""The longest corrected value: a line item's description fits; a 5 MB seller name does not."""
_PATH_PART = re.compile(r"[a-z][a-z0-9_]*|0|[1-9][0-9]{0,3}")
# Plain decimal notation: up to 15 digits before the point (a trillion and more in cents) and 6
# after it (unit prices and rates); no exponent, no spaces, no sign other than a leading minus.
_FIRST_YEAR, _LAST_YEAR = 1900, 2100
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_MARKUP = re.compile(r"<\s*[a-zA-Z/!?]")
_PLAIN_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,6})?")


def set_path(data: dict[str, Any], path: str, value: str | None) -> None:
    """Set the scalar at canonical ``path`` (``seller.name``, ``line_items.0.total``)."""
    if value is not None and len(value) > MAX_TEXT_CHARS:
        raise BadRequest(f"the value for {path!r} is longer than {MAX_TEXT_CHARS} characters")
    parts = path.split(".")
    if not all(_PATH_PART.fullmatch(part) for part in parts):
        raise BadRequest(f"no editable field {path!r}")
    node: Any = data
    try:
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        last = parts[-1]
        if isinstance(node, list) and last.isdigit():
            node[int(last)] = value
        elif isinstance(node, dict) and last in node and not isinstance(node[last], dict | list):
            node[last] = value
        else:
            raise KeyError(last)
    except (KeyError, IndexError, ValueError, TypeError) as exc:
        raise BadRequest(f"no editable field {path!r}") from exc


def checked_changes(data: dict[str, Any], changes: dict[str, str | None]) -> dict[str, str | None]:
    """Set ``changes`` on ``data`` in canonical form (local notation accepted where unambiguous)
    and check the result against the model; every bad field is reported at once
    (``InvalidFields``), and nothing is set unless all are good."""
    style = notation(data)
    errors: dict[str, str] = {}
    done: dict[str, str | None] = {}
    for path, value in changes.items():
        try:
            if value is not None and len(value) > MAX_TEXT_CHARS:
                raise BadRequest(f"longer than {MAX_TEXT_CHARS} characters")
            done[path] = (
                None if value is None or not value.strip() else canonical(path, value, style)
            )
            set_path(data, path, done[path])
        except ValueError as exc:
            errors[path] = str(exc)
        except BadRequest as exc:
            errors[path] = exc.message
    if not errors:
        errors = _model_errors(data, done)
    if errors:
        raise InvalidFields(errors)
    return done


def _model_errors(data: dict[str, Any], changes: dict[str, str | None]) -> dict[str, str]:
    try:
        invoice = Invoice.model_validate(data)
    except ValidationError as exc:
        return {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.errors()}
    errors = {}
    for path, value in changes.items():
        refuse_absurd(path, _value_at(invoice, path))
        amount = value is not None and isinstance(_value_at(invoice, path), Decimal)
        if amount and not _PLAIN_DECIMAL.fullmatch((value or "").strip()):
            errors[path] = (
                "an amount in plain decimal notation (at most 15 digits before the point and 6 "
                "after it, e.g. 1234.50)"
            )
    return errors


def refuse_absurd(path: str, value: object) -> None:
    """A correction no invoice could print is refused (and so never taught to the seller
    memory): a date outside 1900-2100, control characters, or markup in a text field."""
    if isinstance(value, date) and not _FIRST_YEAR <= value.year <= _LAST_YEAR:
        raise BadRequest(f"invalid value for {path}: a date between {_FIRST_YEAR} and {_LAST_YEAR}")
    if isinstance(value, str) and (_CONTROL.search(value) or _MARKUP.search(value)):
        raise BadRequest(f"invalid value for {path}: control characters or markup in the text")


def _value_at(invoice: Invoice, path: str) -> object:
    node: object = invoice
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else getattr(node, part, None)
    return node

"""The LLM's answer format, derived from the ``Invoice`` model (the one source of truth).

``response_schema()`` is ``Invoice.model_json_schema(mode="serialization")`` trimmed to the fields
an extractor reads off the page: the bookkeeping fields (file, status, evidence, ...) are dropped,
``$ref``s are inlined, every property is required (null when absent) and no other is allowed, as
OpenAI's strict structured outputs demand and Gemini accepts. Amounts and dates stay strings, with
a description of their format. ``answer_to_invoice`` validates an answer with the model itself.
"""

from __future__ import annotations

import functools
import json
import types
import typing
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from pydantic import BaseModel, ValidationError

from ...errors import ExtractionError
from ...model import Invoice

# Set by the pipeline or the extractor, never read off the page.
BOOKKEEPING = frozenset(
    {"file", "pages", "status", "extractor", "error", "evidence", "sources", "warnings"}
) | {"learned_from"}

_KIND_HINTS: dict[type, str] = {
    Decimal: "plain decimal number: '.' as decimal separator, no thousands separator, no "
    "currency sign, '-' if negative, the printed precision (1234.50)",
    date: "ISO 8601 date YYYY-MM-DD",
}
_FIELD_HINTS = {
    "document_type": "credit_note for a credit note, receipt for a till receipt, else invoice",
    "currency": "ISO 4217 code (EUR, USD, GBP)",
    "country": "ISO 3166-1 alpha-2 code",
    "address": "the whole address on one line",
    "rate": "VAT rate in percent (19.00)",
    "tax_rate": "VAT rate in percent (19.00)",
    "category": "VAT category code: S, Z, E, AE, K, G, O, L or M",
    "unit": "UN/ECE Rec. 20 unit code where one is printed or obvious (C62, HUR), else null",
}


@functools.cache
def _schema_text() -> str:
    raw = Invoice.model_json_schema(mode="serialization")
    return json.dumps(_object(Invoice, raw, raw.get("$defs", {}), BOOKKEEPING))


def response_schema() -> dict[str, Any]:
    """The JSON Schema of an answer (a fresh copy: SDKs may rewrite what they are given)."""
    result: dict[str, Any] = json.loads(_schema_text())
    return result


def _object(
    model: type[BaseModel], node: dict[str, Any], defs: dict[str, Any], skip: frozenset[str]
) -> dict[str, Any]:
    props = {
        name: _property(name, info.annotation, node["properties"][name], defs)
        for name, info in model.model_fields.items()
        if name not in skip
    }
    schema: dict[str, Any] = {
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
    }
    return schema


def _property(name: str, annotation: Any, node: dict[str, Any], defs: dict[str, Any]) -> Any:
    inner, nullable = _unwrap(annotation)
    node = _resolve(node, defs)
    if nullable:  # anyOf [X, null]: the X part
        node = _resolve(next(n for n in node["anyOf"] if n.get("type") != "null"), defs)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        out = _object(inner, node, defs, frozenset())
    elif typing.get_origin(inner) is list:
        (item,) = typing.get_args(inner)
        out = {"type": "array", "items": _property(name, item, node["items"], defs)}
    elif isinstance(inner, type) and issubclass(inner, Enum):
        out = {"type": "string", "enum": [member.value for member in inner]}
    else:
        out = {"type": node.get("type", "string")}
        if "format" in node:
            out["format"] = node["format"]
    hint = _FIELD_HINTS.get(name) or (_KIND_HINTS.get(inner) if isinstance(inner, type) else None)
    if hint:
        out["description"] = hint
    return {"anyOf": [out, {"type": "null"}]} if nullable else out


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """``(inner type, nullable)`` of ``X | None``, ``Optional[Annotated[X, ...]]`` and ``X``."""
    nullable = False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        nullable = len(args) < len(typing.get_args(annotation))
        (annotation,) = args
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation, nullable


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str):
        resolved: dict[str, Any] = defs[ref.rsplit("/", 1)[-1]]
        return resolved
    return node


def parse_answer(text: str | None, provider: str) -> dict[str, Any]:
    """The answer's JSON object; malformed JSON or a non-object is an ``ExtractionError``."""
    if not text or not text.strip():
        raise ExtractionError(f"{provider}: the answer was empty")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExtractionError(f"{provider}: the answer is malformed JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ExtractionError(
            f"{provider}: the answer violates the schema: a {type(data).__name__}, not an object"
        )
    return data


def answer_to_invoice(data: dict[str, Any], *, file: str, provider: str) -> Invoice:
    """An ``Invoice`` from an answer, validated by the model (unknown or bookkeeping keys, wrong
    types, an amount that is no number, a date that is no date: ``ExtractionError``)."""
    allowed = set(Invoice.model_fields) - BOOKKEEPING
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ExtractionError(
            f"{provider}: the answer violates the schema: unexpected field(s) {', '.join(unknown)}"
        )
    try:
        return Invoice.model_validate({**_drop_nulls(data), "file": file, "extractor": provider})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']} (got {err['input']!r:.40})"
            for err in exc.errors()[:3]
        )
        more = f" and {exc.error_count() - 3} more" if exc.error_count() > 3 else ""
        raise ExtractionError(
            f"{provider}: the answer violates the schema: {problems}{more}"
        ) from exc


def _drop_nulls(data: dict[str, Any]) -> dict[str, Any]:
    # A null object or list ("seller": null) means "none found": the model's default applies.
    return {k: v for k, v in data.items() if v is not None or k in _NULLABLE_LEAVES}


_NULLABLE_LEAVES = frozenset(
    name for name, info in Invoice.model_fields.items() if _unwrap(info.annotation)[1]
)

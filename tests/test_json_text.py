"""``dumps_indented`` writes exactly the text of ``json.dumps(indent=..., ensure_ascii=False)``."""

from __future__ import annotations

import enum
import json
from decimal import Decimal
from typing import Any

import pytest

from invoice_extractor.export.json_text import dumps_indented


class _Level(enum.IntEnum):
    LOW = 1


class _Text(str):
    pass


_TRICKY: list[Any] = [
    {"a": 1, "b": [1, 2.5, None, True, False], "c": {}, "d": [], "e": {"f": [[], {}, [[]]]}},
    [0.1, 1e-07, 1e16, 1.5e300, -0.0, 123456789.125, 2.0**70, 1 / 3, 5e-324],
    [float("nan"), float("inf"), float("-inf"), {"x": float("nan")}],
    [10**40, -(10**30), 0, -1, _Level.LOW, True, False],
    ["", "€ Müller & Söhne", "tab\tnew\nline\r", "\x00\x01\x1f\x7f", '"quoted" \\ back', "\ud800"],
    ["\u2028\u2029", "😀 emoji", "日本語", "\u00a0nbsp", _Text("sub"), {_Text("k"): _Text("v")}],
    {"mixed": [1, {"a": [1, {"b": []}]}, "s", [2, 3]], "after": None},
    {7: "int key", 2.5: "float key", True: "bool", None: "none", "s": [1]},
    {1: [1, 2]},  # a non-string key before a container: left to json
    (1, (2, 3), [4, (5,)]),
    [[[[[[1]]]]]],
    [{"page": 1, "bbox": [1.0, 2.25, 3.5, 4.75], "text": "AC-1", "confidence": 0.99}],
    {},
    [],
    "just a string",
    3.25,
    None,
]


@pytest.mark.parametrize("value", _TRICKY)
@pytest.mark.parametrize("indent", [2, 4, 0])
def test_same_text_as_json_dumps(value: Any, indent: int) -> None:
    assert dumps_indented(value, indent) == json.dumps(value, indent=indent, ensure_ascii=False)


def test_the_cli_output_of_a_real_invoice_is_unchanged() -> None:
    from invoice_extractor.model import Evidence, Invoice, LineItem

    invoice = Invoice(
        file="x.pdf",
        total=Decimal("1234.50"),
        line_items=[LineItem(description="Ä\tb", amount=Decimal("-3.10"))],
        evidence={
            "total": Evidence(page=1, bbox=(1.5, 2.0, 3e-05, 4.0), text="1.234,50", confidence=1.0)
        },
    )
    objects = [invoice.to_json_dict(), invoice.to_json_dict()]
    assert dumps_indented(objects) == json.dumps(objects, indent=2, ensure_ascii=False)


@pytest.mark.parametrize(
    "value",
    [[Decimal("1.5")], {"a": object()}, {(1, 2): "tuple key"}, {"a": [{(1,): 1}]}],
)
def test_what_json_refuses_is_refused_alike(value: Any) -> None:
    with pytest.raises(TypeError) as expected:
        json.dumps(value, indent=2, ensure_ascii=False)
    with pytest.raises(TypeError) as got:
        dumps_indented(value)
    assert str(got.value) == str(expected.value)


def test_a_circular_value_is_refused_as_json_refuses_it() -> None:
    looped: list[Any] = [1]
    looped.append(looped)
    with pytest.raises(ValueError, match="Circular reference"):
        dumps_indented({"a": looped})

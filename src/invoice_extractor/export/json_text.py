"""``json.dumps(value, indent=N, ensure_ascii=False)``, the same text, written faster.

With an indent, the standard library encodes in pure Python through a chain of generators (its C
encoder only writes compact text): every scalar of a batch's JSON passes through one generator per
level it is nested in. The C encoder does take any item separator, though, and within one
container the indented text is the compact text with the separator ``",\\n" + indent``: so each
run of scalars of a container (the whole of a container that holds no other non-empty one) is
written by the C encoder with its level's separator, and only the nesting is walked here. The
strings, numbers and keys are thus spelled by the very code ``json`` uses for them.

Values are the plain JSON types (str, int, float, bool, None, list, tuple, dict); a key that is not
a string before a nested container, or a value nested beyond recursion, is left to ``json.dumps``
itself, which then gives its own text or its own error.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

_CONTAINERS = (list, tuple, dict)
# The C encoder of each indentation (keyed by the separator's whitespace), made once.
_ENCODERS: dict[str, Callable[[Any], str]] = {}


class _Unplain(Exception):
    """A key this writer leaves to ``json.dumps``."""


def dumps_indented(value: Any, indent: int = 2) -> str:
    """Exactly ``json.dumps(value, indent=indent, ensure_ascii=False)``."""
    if not isinstance(value, _CONTAINERS) or not value:
        return json.dumps(value, indent=indent, ensure_ascii=False)
    try:
        return _text(value, "\n", " " * indent)
    except (_Unplain, RecursionError):
        return json.dumps(value, indent=indent, ensure_ascii=False)


def _encoder(inner: str) -> Callable[[Any], str]:
    encode = _ENCODERS.get(inner)
    if encode is None:
        encoder = json.JSONEncoder(ensure_ascii=False, separators=("," + inner, ": "))
        if c_make_encoder is None:  # an interpreter without the C encoder
            encode = encoder.encode
        else:  # what ``encoder.encode`` makes on every call, made once
            iterencode = c_make_encoder(
                None,
                encoder.default,
                encode_basestring,
                None,
                ": ",
                "," + inner,
                False,
                False,
                True,
            )

            def encode(value: Any) -> str:
                return "".join(iterencode(value, 0))

        _ENCODERS[inner] = encode
    return encode


def _text(value: Any, newline: str, step: str) -> str:
    """The text of a non-empty list, tuple or dict whose first line stands after ``newline``."""
    inner = newline + step
    encode = _encoder(inner)
    segments: list[str] = []
    if isinstance(value, dict):
        run: dict[Any, Any] = {}
        for key, item in value.items():
            if isinstance(item, _CONTAINERS) and item:
                if not isinstance(key, str):
                    raise _Unplain  # json converts (or refuses) such a key: left to it
                if run:
                    segments.append(encode(run)[1:-1])
                    run = {}
                segments.append(encode_basestring(key) + ": " + _text(item, inner, step))
            else:
                run[key] = item
        if run:
            segments.append(encode(run)[1:-1])
        return "{" + inner + ("," + inner).join(segments) + newline + "}"
    items: list[Any] = []
    for item in value:
        if isinstance(item, _CONTAINERS) and item:
            if items:
                segments.append(encode(items)[1:-1])
                items = []
            segments.append(_text(item, inner, step))
        else:
            items.append(item)
    if items:
        segments.append(encode(items)[1:-1])
    return "[" + inner + ("," + inner).join(segments) + newline + "]"

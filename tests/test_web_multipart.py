"""Uploads are parsed by werkzeug's multipart decoder with its boundary patterns built once per
boundary length (``web.multipart``), not compiled again for each request's new boundary."""

from __future__ import annotations

import random
import re
import secrets
from typing import TYPE_CHECKING, Any

import pytest
from werkzeug.sansio.multipart import MultipartDecoder

from invoice_extractor.web.multipart import BoundaryDecoder

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from conftest import InvoicePdf


def test_an_upload_compiles_no_pattern_with_its_boundary(
    client: FlaskClient, invoice_pdf: InvoicePdf, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = client.post("/api/v1/sessions").get_json()
    auth = {"Authorization": f"Bearer {created['token']}"}
    boundary = secrets.token_hex(16)
    data = invoice_pdf("M-1")
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="m.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    compiled: list[Any] = []
    original = re.compile

    def compile_(pattern: Any, flags: int = 0) -> re.Pattern[Any]:
        compiled.append(pattern)
        return original(pattern, flags)

    monkeypatch.setattr(re, "compile", compile_)
    answer = client.post(
        f"/api/v1/sessions/{created['id']}/files",
        data=body,
        headers=auth,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    monkeypatch.undo()
    assert answer.status_code == 202, answer.get_data(as_text=True)
    assert answer.get_json()["accepted"][0]["size"] == len(data)
    assert not [p for p in compiled if isinstance(p, bytes) and boundary.encode() in p]


def test_the_boundary_patterns_match_as_werkzeugs_own() -> None:
    """Same span and group as werkzeug's compiled patterns, on inputs dense with near-misses:
    line breaks, dashes and boundaries of one to three bytes made of the same characters."""
    rnd = random.Random(15)
    pieces = [b"\r", b"\n", b"-", b"--", b" ", b"\t", b"a", b"b"]
    matched = 0
    for _ in range(4000):
        boundary = bytes(rnd.choice(b"ab-") for _ in range(rnd.randint(1, 3)))
        choices = [*pieces, b"--" + boundary, b"\r\n--" + boundary]
        data = b"".join(rnd.choice(choices) for _ in range(rnd.randint(0, 12)))
        theirs, ours = MultipartDecoder(boundary), BoundaryDecoder(boundary)
        for exact, wide in (
            (theirs.preamble_re, ours.preamble_re),
            (theirs.boundary_re, ours.boundary_re),
        ):
            pos = rnd.randint(0, len(data))
            expected, found = exact.search(data, pos), wide.search(data, pos)
            assert (found is None) == (expected is None), (boundary, data, pos)
            if expected is not None and found is not None:
                matched += 1
                spans = (found.start(), found.end(), found.group(1))
                assert spans == (expected.start(), expected.end(), expected.group(1))
    assert matched > 500  # the inputs do exercise the matches, not only the misses

"""The seller memory keeps the layouts it parsed (issue 15: a job compares up to 2000 known
sellers by fingerprint): a layout is parsed again only once it changed, and a change or a removal
made through another store (another worker process) is seen at the next lookup. SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from invoice_extractor.extract.embedded.seller_layout import (
    FieldLesson,
    Lesson,
    SellerClues,
    SellerLayout,
    Spot,
)
from invoice_extractor.settings import Settings
from invoice_extractor.store.repository import Store

SPOT = Spot("gesamt", "labelled", "right", 0, True, 0.7, 0.4, 130.0, 0.0, "9,9")
FINGERPRINT = frozenset({"total:gesamt", "invoice_number:rechnung", "issue_date:datum"})
# Only the fingerprint: no identifier or name matches, so the lookup scans the recent sellers.
BY_FINGERPRINT = SellerClues(fingerprint=FINGERPRINT, text="nordwind handel gmbh")


def _lesson(path: str) -> Lesson:
    return Lesson(
        SellerClues(fingerprint=FINGERPRINT),
        "Nordwind Handel GmbH",
        ("DE811111111",),
        (),
        {path: FieldLesson(SPOT, None, "correction", "2026-11-03", "invoice:1")},
    )


@pytest.fixture
def stores(web_settings: Settings) -> Iterator[tuple[Store, Store]]:
    """Two stores on one database: two worker processes, each with its own parsed layouts."""
    first = Store(web_settings)
    first.migrate()
    second = Store(web_settings)
    yield first, second
    first.db.dispose()
    second.db.dispose()


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[int | None]:
    """The ids of the layouts parsed from their JSON, in order."""
    seen: list[int | None] = []
    original = SellerLayout.from_json

    def counting(cls: type[SellerLayout], data: Any, layout_id: int | None = None) -> Any:
        seen.append(layout_id)
        return original(data, layout_id)

    monkeypatch.setattr(SellerLayout, "from_json", classmethod(counting))
    return seen


def test_a_layout_is_parsed_once_until_it_changes(
    stores: tuple[Store, Store], parsed: list[int | None]
) -> None:
    mine, other = stores
    other.sellers.remember(_lesson("total"))
    (found,) = mine.sellers.layouts(BY_FINGERPRINT)
    assert sorted(found.fields) == ["total"]
    parsed.clear()
    (again,) = mine.sellers.layouts(BY_FINGERPRINT)
    assert again is found and parsed == []  # nothing changed: nothing parsed
    other.sellers.remember(_lesson("due_date"))  # another process teaches the seller more
    parsed.clear()
    (changed,) = mine.sellers.layouts(BY_FINGERPRINT)
    assert sorted(changed.fields) == ["due_date", "total"]
    assert parsed == [found.id]


def test_a_seller_forgotten_elsewhere_is_not_recalled(stores: tuple[Store, Store]) -> None:
    mine, other = stores
    other.sellers.remember(_lesson("total"))
    assert len(mine.sellers.layouts(BY_FINGERPRINT)) == 1
    assert other.sellers.forget() == 1
    assert mine.sellers.layouts(BY_FINGERPRINT) == []
    assert mine.sellers.layouts(SellerClues(vat_ids=frozenset({"DE811111111"}))) == []

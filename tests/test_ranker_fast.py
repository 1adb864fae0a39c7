"""The ranking stage's shortcuts give what the plain way gives: the feature rows of a document's
fields built sharing what their candidates share."""

from __future__ import annotations

from invoice_extractor.extract.embedded.candidates import collect_candidates
from invoice_extractor.extract.embedded.context import DocumentContext
from invoice_extractor.extract.embedded.features import (
    FEATURES,
    document_features,
    field_features,
)
from test_ranker import INVOICE, page

# A page whose names are proposed for both parties, by several rules, one repeated in the footer.
PARTIES = [
    *INVOICE,
    (50, 52, "Industriestraße 9"),
    (50, 64, "80331 München"),
    (50, 76, "USt-IdNr. DE123456789"),
    (50, 780, "ACME Trading GmbH Registergericht München"),
]


def test_a_documents_rows_are_each_fields_own_rows() -> None:
    ctx = DocumentContext.build([page(PARTIES)])
    found = collect_candidates(ctx)
    shared = document_features(ctx, found)
    alone = {name: field_features(ctx, name, cands, found) for name, cands in found.items()}
    assert shared == alone
    # Names both parties share were among them, and the costly party columns were measured.
    sellers = {c.value for c in found["seller.name"]}
    assert sellers & {c.value for c in found["buyer.name"]}
    footer, address = FEATURES.index("footer_repeat"), FEATURES.index("address_below")
    assert any(row[footer] == 1.0 and row[address] > 0 for row in shared["seller.name"])


def test_a_column_no_tree_reads_is_not_measured() -> None:
    ctx = DocumentContext.build([page(PARTIES)])
    found = collect_candidates(ctx)
    footer = FEATURES.index("footer_repeat")
    everything = document_features(ctx, found)
    read = document_features(ctx, found, frozenset(range(len(FEATURES))) - {footer})
    for name, rows in everything.items():
        expected = [[0.0 if i == footer else v for i, v in enumerate(row)] for row in rows]
        assert read[name] == expected

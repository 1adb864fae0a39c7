"""Due dates that stand only in a payment-terms sentence: "Zahlbar innerhalb 30 Tagen netto bis
04.07.2013, 3% Skonto innerhalb 10 Tagen bis 15.06.2013", "payable by 25 February 2025".

Every date after the opening words of the sentence is a candidate, but for the deadline of a
cash discount (a rate and "Skonto", "escompte" before it, since the previous date); the first is
likelier, and the ranker weighs them with the rest.
"""

from __future__ import annotations

import re
from datetime import date

from .dates import DateOrder, find_dates
from .fields import Candidate, PageIndex
from .labels import LABEL_RES
from .text import fold
from .values import joined, words_in_span

_FIRST_SCORE = 0.6  # the rule's own score of the first date; later ones get a share of it
_MAX_DATES = 3
_RATE = re.compile(r"\d\s*%")


def dates_in_terms(indexes: list[PageIndex], order: DateOrder | None) -> list[Candidate[date]]:
    found: list[Candidate[date]] = []
    for index in indexes:
        for hit in index.labels("payment_terms", rivals=("due_date",)):
            words = index.right_of(hit)
            text, starts = joined(words, glue_commas=True)
            n, clause_start = 0, 0
            for match in find_dates(text, order)[:_MAX_DATES]:
                clause, clause_start = text[clause_start : match.start], match.end
                if _is_discount(clause):
                    continue  # "3% Skonto innerhalb 10 Tagen bis 15.03.2018"
                used = words_in_span(words, starts, match.start, match.end)
                if not used:
                    continue
                found.append(
                    Candidate(
                        match.value,
                        used,
                        _FIRST_SCORE / (n + 1),
                        hit.text,
                        "right",
                        hit.box,
                        "terms",
                        index.lead(hit),
                    )
                )
                n += 1
    return found


def _is_discount(clause: str) -> bool:
    """A clause granting a cash discount: a rate and a cash-discount word ("2 % Skonto")."""
    return (
        bool(_RATE.search(clause)) and LABEL_RES["cash_discount"].search(fold(clause)) is not None
    )

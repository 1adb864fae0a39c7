"""The seller memory in the database: every web and Celery worker reads and teaches the same one.

Implements the engine's ``SellerMemory`` protocol (``layouts`` for a page's clues, ``remember``
a lesson) and the controls: list, forget one or all, export and import as JSON.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, select, text
from sqlalchemy.orm import Session

from ..errors import BadRequest
from ..extract.embedded.seller_layout import (
    Lesson,
    SellerClues,
    SellerLayout,
    merged,
    recognise,
)
from ..extract.embedded.text import fold
from .db import Database
from .models import SellerKey, SellerRecord, utcnow

EXPORT_FORMAT = 1
MAX_FINGERPRINT_SCAN = 2000  # sellers compared by fingerprint when no identifier matched
MAX_IMPORT = 10000
_LOCK_KEY = 774412  # PostgreSQL advisory lock: one lesson at a time, so a seller is made once


@dataclass(frozen=True, slots=True)
class KnownSeller:
    layout: SellerLayout
    updated_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.layout.id,
            "name": self.layout.name,
            "vat_ids": list(self.layout.vat_ids),
            "ibans": list(self.layout.ibans),
            "updated_at": self.updated_at.isoformat(),
            "fields": {
                path: {
                    "label": lesson.right.label if lesson.right else None,
                    "empty": lesson.right is None,
                    "avoids": lesson.wrong.label if lesson.wrong else None,
                    "origin": lesson.origin,
                    "taught_at": lesson.taught_at,
                }
                for path, lesson in sorted(self.layout.fields.items())
            },
        }


class SellerBook:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._parsed = ParsedLayouts()

    # -- the engine's SellerMemory ------------------------------------------------------------

    def layouts(self, clues: SellerClues) -> Sequence[SellerLayout]:
        # Every job asks: plain rows on one connection, no ORM object per known seller.
        with self.db.transaction() as conn:
            return _candidates(conn, clues, self._parsed)

    def remember(self, lesson: Lesson) -> None:
        with self.db.session() as db:
            if not self.db.is_sqlite:
                db.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})"))
            probe = SellerClues(
                lesson.clues.vat_ids | set(lesson.vat_ids),
                lesson.clues.ibans | set(lesson.ibans),
                fold(lesson.name) if lesson.name else lesson.clues.name,
                lesson.clues.fingerprint,
                lesson.clues.text,
            )
            known = recognise(probe, _candidates(db, probe, self._parsed))
            _save(db, merged(known, lesson))

    # -- controls -----------------------------------------------------------------------------

    def known(self) -> list[KnownSeller]:
        with self.db.session() as db:
            rows = db.scalars(select(SellerRecord).order_by(SellerRecord.name, SellerRecord.id))
            return [KnownSeller(_layout(r), r.updated_at) for r in rows]

    def forget(self, seller_id: int | None = None) -> int:
        """Forget one seller (or every one): how many were forgotten."""
        with self.db.session() as db:
            query = delete(SellerRecord)
            if seller_id is not None:
                query = query.where(SellerRecord.id == seller_id)
            # Keys go by ON DELETE CASCADE on PostgreSQL; SQLite needs its pragma, so say it.
            keys = delete(SellerKey)
            if seller_id is not None:
                keys = keys.where(SellerKey.seller_id == seller_id)
            db.execute(keys)
            return int(db.execute(query).rowcount)  # type: ignore[attr-defined]

    def export(self) -> dict[str, Any]:
        return {
            "format": EXPORT_FORMAT,
            "sellers": [s.layout.to_json() for s in self.known()],
        }

    def import_(self, data: Any) -> int:
        """Add the sellers of an export; one already known (same identifiers) is merged."""
        if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
            raise BadRequest(f"not a seller memory export (format {EXPORT_FORMAT})")
        sellers = data.get("sellers")
        if not isinstance(sellers, list) or len(sellers) > MAX_IMPORT:
            raise BadRequest(f"'sellers' must be a list of at most {MAX_IMPORT} sellers")
        try:
            layouts = [SellerLayout.from_json(s) for s in sellers]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadRequest(f"invalid seller in the export: {exc}") from exc
        for layout in layouts:
            self.remember(
                Lesson(
                    SellerClues(fingerprint=layout.fingerprint),
                    layout.name,
                    layout.vat_ids,
                    layout.ibans,
                    layout.fields,
                )
            )
        return len(layouts)


def _candidates(
    db: Session | Connection, clues: SellerClues, parsed: ParsedLayouts
) -> list[SellerLayout]:
    """Sellers sharing an identifier or the name with the page; when none of them is the
    page's seller, the most recent ones, for the fingerprint."""
    keyed = _keyed(db, clues, parsed)
    if keyed and recognise(clues, keyed) is not None:
        return keyed
    return parsed.layouts(db, db.execute(_RECENT).all())


# Built once, with parameters: every job asks.
_RECENT = (
    select(SellerRecord.id, SellerRecord.updated_at)
    .order_by(SellerRecord.updated_at.desc())
    .limit(MAX_FINGERPRINT_SCAN)
)
_STAMPS = (
    select(SellerRecord.id, SellerRecord.updated_at)
    .where(SellerRecord.id.in_(bindparam("ids", expanding=True)))
    .order_by(SellerRecord.id)
)
_LAYOUTS = select(SellerRecord.id, SellerRecord.updated_at, SellerRecord.layout).where(
    SellerRecord.id.in_(bindparam("ids", expanding=True))
)
_KEYS = select(SellerKey.seller_id, SellerKey.kind, SellerKey.value).where(
    SellerKey.value.in_(bindparam("values", expanding=True))
)
_CHUNK = 500  # bounded IN lists (SQLite caps the parameters of one statement)


def _keyed(
    db: Session | Connection, clues: SellerClues, parsed: ParsedLayouts
) -> list[SellerLayout]:
    wanted = {("vat", v[:200]) for v in clues.vat_ids} | {("iban", v[:200]) for v in clues.ibans}
    if clues.name:
        wanted.add(("name", clues.name[:200]))
    if not wanted:
        return []
    rows = db.execute(_KEYS, {"values": sorted({v for _, v in wanted})})
    ids = sorted({id_ for id_, kind, value in rows if (kind, value) in wanted})
    if not ids:
        return []
    return parsed.layouts(db, db.execute(_STAMPS, {"ids": ids}).all())


class ParsedLayouts:
    """The sellers' layouts as parsed, by id, each with the ``updated_at`` it was read at: a job
    reads only the ids and timestamps of the sellers it may compare, and parses the JSON of the
    ones that are new or changed since (up to MAX_FINGERPRINT_SCAN of them per job otherwise).
    Every write of a seller sets a new ``updated_at`` (``_save``), so a process never keeps a
    layout another process changed; a layout is never modified in place (``merged`` copies)."""

    def __init__(self) -> None:
        self._by_id: dict[int, tuple[datetime, SellerLayout]] = {}
        self._lock = threading.Lock()

    def layouts(
        self, db: Session | Connection, stamps: Sequence[Row[int, datetime]]
    ) -> list[SellerLayout]:
        """The layouts of these ``(id, updated_at)`` rows, in their order."""
        known = self._by_id
        stale = [id_ for id_, at in stamps if (known.get(id_) or (None,))[0] != at]
        fresh: dict[int, tuple[datetime, SellerLayout]] = {}
        for start in range(0, len(stale), _CHUNK):
            chunk = stale[start : start + _CHUNK]
            for id_, at, layout in db.execute(_LAYOUTS, {"ids": chunk}):
                fresh[id_] = (at, SellerLayout.from_json(layout, id_))
        with self._lock:
            self._by_id.update(fresh)
            if len(self._by_id) > 2 * MAX_FINGERPRINT_SCAN:  # sellers gone or long unused
                listed = {id_ for id_, _ in stamps}
                self._by_id = {k: v for k, v in self._by_id.items() if k in listed}
        found = []
        for id_, at in stamps:
            entry = fresh.get(id_) or known.get(id_)
            # A stale one not read again was deleted meanwhile: left out, as a query would.
            if entry is not None and (id_ in fresh or entry[0] == at):
                found.append(entry[1])
        return found


def _layout(row: SellerRecord) -> SellerLayout:
    return SellerLayout.from_json(row.layout, row.id)


def _save(db: Session, layout: SellerLayout) -> None:
    row = db.get(SellerRecord, layout.id) if layout.id is not None else None
    if row is None:
        row = SellerRecord(name=layout.name, layout=layout.to_json())
        db.add(row)
        db.flush()
    else:
        row.name, row.layout, row.updated_at = layout.name, layout.to_json(), utcnow()
        db.execute(delete(SellerKey).where(SellerKey.seller_id == row.id))
    keys = [("vat", v) for v in layout.vat_ids] + [("iban", v) for v in layout.ibans]
    if layout.name:
        keys.append(("name", fold(layout.name)))
    db.add_all(SellerKey(seller_id=row.id, kind=k, value=v[:200]) for k, v in keys)

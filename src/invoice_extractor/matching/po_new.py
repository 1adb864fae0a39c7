"""The purchase-order check of a job's new invoices, in the transaction that stores them.

Most installations hold no purchase order at all, and then a new invoice matches none: its match
row is written as one Core INSERT, without the ORM session, the order query and its objects that
``po_check`` needs when there are orders to look through.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Connection, Table, bindparam, insert, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from ..settings import Settings
from ..store.invoice_rows import NewInvoice
from ..store.matching_tables import InvoiceMatch
from ..store.models import InvoiceRecord
from .po_compare import NO_PO
from .purchase_orders import ANY_ORDER, key_values, po_check, set_warnings

log = logging.getLogger(__name__)

_INSERT_NO_PO = insert(cast(Table, InvoiceMatch.__table__)).values(
    payment_status="unpaid", order_id=None, po_match=NO_PO, billed={}
)
_INVOICES = cast(Table, InvoiceRecord.__table__)
_SET_DATA = (
    update(_INVOICES)
    .where(_INVOICES.c.id == bindparam("invoice_id"))
    .values(data=bindparam("data"), status=bindparam("status"))
)


def check_new(
    db: Connection, stored: Sequence[NewInvoice], session_id: str, settings: Settings
) -> None:
    """The PO check of a job's new invoice rows inside the transaction that stores them (after
    the matcher's checks, so no reader sees the job done without its PO-MISMATCH warnings): a
    check that fails is logged and undone, the invoices stay. A database that stops answering
    fails the whole write, which the job runner tries again.

    Without any purchase order the invoices match none: their match rows are computed first, then
    written in one INSERT (nothing written before a failure, so no savepoint to undo it); else
    ``po_check`` looks through the orders under a savepoint."""
    try:
        if db.scalar(ANY_ORDER) is None:
            rows = [
                {**key_values(session_id, new.invoice, settings), "invoice_id": new.id}
                for new in stored
            ]
            db.execute(_INSERT_NO_PO, rows)
            return
        # The session's flushes are this transaction's (closing it undoes none of them).
        with (
            db.begin_nested(),
            Session(bind=db, join_transaction_mode="rollback_only") as orders,
        ):
            for new in stored:
                result = po_check(orders, new.id, session_id, new.invoice, settings)
                orders.flush()
                if set_warnings(new, result.warnings):
                    values = {"invoice_id": new.id, "data": new.data, "status": new.status}
                    db.execute(_SET_DATA, values)
    except (OperationalError, InterfaceError):
        raise
    except Exception:
        log.exception("purchase-order check of invoice %s failed", stored[0].id)

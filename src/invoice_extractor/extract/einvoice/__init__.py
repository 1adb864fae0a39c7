"""E-invoices read exactly: CII (Factur-X / ZUGFeRD 2.x / XRechnung), ZUGFeRD 1.0 and UBL 2.1.

The readers (and their XML stack) are loaded when an XML is read, not when the package is
imported: every PDF passes through ``backend.invoice_xml``, and most carry no XML at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .reader import read_invoice_xml


def __getattr__(name: str) -> Any:
    if name == "read_invoice_xml":
        from .reader import read_invoice_xml

        return read_invoice_xml
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["read_invoice_xml"]

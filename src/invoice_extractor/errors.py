"""One exception tree for the whole product.

Each class carries the HTTP status a web layer should answer with, so the API and the CLI report the
same error the same way (datasette's ``Base400`` idea).
"""

from __future__ import annotations


class InvoiceExtractorError(Exception):
    """Base of every error this package raises on purpose."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, message: str, *, file: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file = file

    def __str__(self) -> str:
        return self.message


class InputError(InvoiceExtractorError):
    """The input file cannot be processed (the caller's file, not our bug)."""

    status = 422
    code = "input_error"


class EmptyFile(InputError):
    code = "empty_file"


class UnsupportedInput(InputError):
    """Not a format we read (e.g. a text file named .pdf)."""

    status = 415
    code = "unsupported_input"


class CorruptFile(InputError):
    code = "corrupt_file"


class EncryptedPdf(InputError):
    code = "encrypted_pdf"


class FileTooLarge(InputError):
    status = 413
    code = "file_too_large"


class InvalidXml(InputError):
    """XML that is malformed, hostile (DTDs, entities) or too large."""

    code = "invalid_xml"


class NotAnInvoice(InputError):
    """Well-formed XML that is not a CII, ZUGFeRD or UBL invoice."""

    status = 415
    code = "not_an_invoice"


class InvalidSupplierCsv(InputError):
    """A supplier list (CSV) that cannot be imported whole; the message names each bad line."""

    code = "invalid_supplier_csv"


class NoTextLayer(InputError):
    """No page has text to read (a scanned PDF without OCR)."""

    code = "no_text_layer"


class TooManyPages(InputError):
    status = 413
    code = "too_many_pages"


class PageTooLarge(InputError):
    """A page larger than PDF's own limit (200 inches a side): a render bomb, not paper."""

    status = 413
    code = "page_too_large"


class PageTooComplex(InputError):
    """A page whose drawing content decodes to more than the limit (a decompression bomb)."""

    status = 413
    code = "page_too_complex"


class ImportRefused(InputError):
    """A purchase-order file, bank statement or column mapping that cannot be imported whole;
    the message names the line (or entry) at fault, and nothing of the file is stored."""

    code = "import_refused"


class ConfigurationError(InvoiceExtractorError):
    """A setting is missing or wrong (bad extractor name, bad number)."""

    status = 500
    code = "configuration_error"


class UnknownExtractor(ConfigurationError):
    status = 400
    code = "unknown_extractor"


class ExtractionError(InvoiceExtractorError):
    """A backend failed on a document it accepted."""

    status = 502
    code = "extraction_error"


class StorageError(InvoiceExtractorError):
    """The data directory or database cannot take the write (disk full, read-only, ...)."""

    status = 507
    code = "storage_error"


class DatabaseUnavailable(InvoiceExtractorError):
    """The database does not answer (restarting, network down): worth trying again later."""

    status = 503
    code = "database_unavailable"


# --- errors of the web layer: each carries the HTTP status it is answered with ----------------


class WebError(InvoiceExtractorError):
    status = 400
    code = "bad_request"


class BadRequest(WebError):
    pass


class InvalidFields(BadRequest):
    """Corrections refused, with one message per field path (all of them at once)."""

    code = "invalid_fields"

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"invalid value for {p}: {m}" for p, m in fields.items()))
        self.fields = fields


class NotFound(WebError):
    """Also what a client gets for a session that is not its own: never "forbidden"."""

    status = 404
    code = "not_found"


class CsrfFailed(WebError):
    status = 403
    code = "csrf_failed"


class PayloadTooLarge(WebError):
    status = 413
    code = "payload_too_large"


class SessionFull(WebError):
    status = 409
    code = "session_full"

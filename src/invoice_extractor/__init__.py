"""Invoice Extractor: invoices (PDF, scans, e-invoices) into checked, structured data."""

__version__ = "0.1.0"

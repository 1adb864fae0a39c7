"""Exports of extracted invoices: SCHEMA.md JSON, CSV and XLSX, and EN 16931 CII / UBL XML and
Factur-X PDFs (validated against the official XSDs)."""

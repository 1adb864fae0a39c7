"""Exports of extracted invoices: the SCHEMA.md JSON array and spreadsheet-safe CSV."""

"""Extraction backends: documents (or some of their pages) into invoices."""

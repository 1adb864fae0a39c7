"""Extraction from documents with an embedded text layer."""

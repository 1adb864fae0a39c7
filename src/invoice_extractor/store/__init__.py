"""Persistence: sessions, files, jobs, invoices, fields and edits as rows; uploads as blobs."""

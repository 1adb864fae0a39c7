"""Matching each invoice to what the installation already knows: earlier invoices (duplicates),
the supplier list, purchase orders and payments. Sits just above the store: it reads and writes
through it, across every session; the web app and the CLI call it, never the other way round."""

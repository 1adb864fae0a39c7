"""Background extraction: one small queue interface, an in-process implementation by default."""

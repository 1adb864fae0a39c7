"""The invoice matcher: checks that need the store across every session of one installation."""

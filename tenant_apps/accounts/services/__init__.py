"""Writes of the accounts app (keyword-only, typed, atomic)."""

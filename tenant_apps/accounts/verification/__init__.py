"""Verification methods: census, letter codes, email domains, SMS codes (see docs/accounts.md)."""

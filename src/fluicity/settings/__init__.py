"""Settings split by concern: base (everything shared), local, test, production.

Behaviour comes from environment variables (12-factor); see docs/configuration.md.
"""

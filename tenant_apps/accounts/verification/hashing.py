"""Salted digests of identifiers: HMAC-SHA256 keyed by this city's random salt.

Nothing here caches the salt at module level: a worker process serves every city, so a cached value
would leak one city's salt into another's digests.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.db import IntegrityError, transaction

from tenant_apps.accounts.models import CitySecret


def city_salt() -> bytes:
    secret = CitySecret.objects.filter(pk=1).first()
    if secret is None:
        try:
            with transaction.atomic():
                secret = CitySecret.objects.create(pk=1, salt=secrets.token_hex(32))
        except IntegrityError:  # created by a concurrent request
            secret = CitySecret.objects.get(pk=1)
    return secret.salt.encode()


def normalise_document(value: str) -> str:
    """Upper case, without spaces, dots, dashes or slashes: "ab 12.345-6" and "AB123456" are the same."""
    return re.sub(r"[\s.\-/]", "", value or "").upper()


def normalise_postal_code(value: str) -> str:
    return re.sub(r"\s", "", value or "").upper()


def normalise_phone(value: str) -> str:
    digits = re.sub(r"[^\d+]", "", value or "")
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    return digits


def digest(kind: str, *parts: str, salt: bytes | None = None) -> str:
    """Hex HMAC-SHA256 of ``kind`` and ``parts`` under the city's salt; kinds never collide."""
    key = salt if salt is not None else city_salt()
    message = "\x1f".join((kind, *parts)).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def code_digest(code: str) -> str:
    """Plain SHA-256 for random, high-entropy secrets (tokens): no salt needed to resist guessing."""
    return hashlib.sha256(code.encode()).hexdigest()

"""What a city slug may be: a DNS label that also makes a safe PostgreSQL schema name."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# A DNS label (RFC 1123), lower case; 40 characters keep "city_" + slug under PostgreSQL's 63.
SLUG_MAX_LENGTH = 40
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
SCHEMA_PREFIX = "city_"

# Hosts the platform keeps for itself or that would confuse people and mail servers.
RESERVED_SLUGS = frozenset(
    {
        "www",
        "api",
        "admin",
        "mail",
        "smtp",
        "imap",
        "pop",
        "static",
        "media",
        "assets",
        "cdn",
        "app",
        "apps",
        "status",
        "help",
        "support",
        "docs",
        "blog",
        "billing",
        "operator",
        "operators",
        "console",
        "dashboard",
        "login",
        "signup",
        "auth",
        "account",
        "accounts",
        "public",
        "root",
        "test",
        "demo-admin",
        "ftp",
        "ns1",
        "ns2",
        "mx",
        "webmail",
        "autodiscover",
        "localhost",
    }
)


def validate_city_slug(value: str) -> None:
    if not SLUG_RE.match(value or ""):
        raise ValidationError(
            _("Use 1 to %(max)s lower-case letters, digits or hyphens, starting and ending with a letter or digit."),
            code="invalid_slug",
            params={"max": SLUG_MAX_LENGTH},
        )
    if "--" in value:
        # "xn--" is the IDNA prefix; double hyphens are reserved for punycode labels.
        raise ValidationError(_("Two hyphens in a row are not allowed."), code="invalid_slug")
    if value in RESERVED_SLUGS:
        raise ValidationError(_("“%(slug)s” is reserved."), code="reserved_slug", params={"slug": value})


def schema_name_for_slug(slug: str) -> str:
    """The schema of a city: injective (slugs have no underscore) and always a valid identifier."""
    validate_city_slug(slug)
    return SCHEMA_PREFIX + slug.replace("-", "_")

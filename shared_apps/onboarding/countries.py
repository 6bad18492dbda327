"""Countries a city can sign up from, with the time zone its platform starts in.

A curated list rather than all of ISO 3166: the platform serves European and French-speaking
municipalities, and each country needs a sensible default time zone for phase deadlines. Operators can
change a city's time zone afterwards (countries spanning several zones start on the capital's).
"""

from __future__ import annotations

import unicodedata

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# ISO 3166-1 alpha-2 -> (name, default IANA time zone)
COUNTRIES: dict[str, tuple[Promise, str]] = {
    "AT": (_("Austria"), "Europe/Vienna"),
    "BE": (_("Belgium"), "Europe/Brussels"),
    "BG": (_("Bulgaria"), "Europe/Sofia"),
    "CA": (_("Canada"), "America/Toronto"),
    "CH": (_("Switzerland"), "Europe/Zurich"),
    "CI": (_("Côte d’Ivoire"), "Africa/Abidjan"),
    "CY": (_("Cyprus"), "Asia/Nicosia"),
    "CZ": (_("Czechia"), "Europe/Prague"),
    "DE": (_("Germany"), "Europe/Berlin"),
    "DK": (_("Denmark"), "Europe/Copenhagen"),
    "EE": (_("Estonia"), "Europe/Tallinn"),
    "ES": (_("Spain"), "Europe/Madrid"),
    "FI": (_("Finland"), "Europe/Helsinki"),
    "FR": (_("France"), "Europe/Paris"),
    "GB": (_("United Kingdom"), "Europe/London"),
    "GR": (_("Greece"), "Europe/Athens"),
    "HR": (_("Croatia"), "Europe/Zagreb"),
    "HU": (_("Hungary"), "Europe/Budapest"),
    "IE": (_("Ireland"), "Europe/Dublin"),
    "IS": (_("Iceland"), "Atlantic/Reykjavik"),
    "IT": (_("Italy"), "Europe/Rome"),
    "LI": (_("Liechtenstein"), "Europe/Vaduz"),
    "LT": (_("Lithuania"), "Europe/Vilnius"),
    "LU": (_("Luxembourg"), "Europe/Luxembourg"),
    "LV": (_("Latvia"), "Europe/Riga"),
    "MA": (_("Morocco"), "Africa/Casablanca"),
    "MC": (_("Monaco"), "Europe/Monaco"),
    "MT": (_("Malta"), "Europe/Malta"),
    "NL": (_("Netherlands"), "Europe/Amsterdam"),
    "NO": (_("Norway"), "Europe/Oslo"),
    "PL": (_("Poland"), "Europe/Warsaw"),
    "PT": (_("Portugal"), "Europe/Lisbon"),
    "RO": (_("Romania"), "Europe/Bucharest"),
    "SE": (_("Sweden"), "Europe/Stockholm"),
    "SI": (_("Slovenia"), "Europe/Ljubljana"),
    "SK": (_("Slovakia"), "Europe/Bratislava"),
    "SN": (_("Senegal"), "Africa/Dakar"),
    "TN": (_("Tunisia"), "Africa/Tunis"),
}


def country_choices() -> list[tuple[str, str]]:
    """(code, name) pairs sorted by name in the active language (accents ignored: Côte before Croatia)."""
    pairs = [(code, str(name)) for code, (name, _tz) in COUNTRIES.items()]
    return sorted(pairs, key=lambda pair: _sort_key(pair[1]))


def _sort_key(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def default_time_zone(country: str) -> str:
    return COUNTRIES.get(country.upper(), ("", "Europe/Paris"))[1]

"""Hooks that tenant apps offer to the platform, found by name (never by a static import).

A tenant app may define, for example, ``interface.bootstrap`` (defaults of a new city), ``interface.usage``
(metering), ``demo.seed`` (demo data). Platform code asks for them here, so that it depends on no
tenant app (import-linter contracts) and a new tenant app plugs in by defining the function.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from django.conf import settings


def tenant_app_hooks(module: str, attribute: str) -> list[tuple[str, Callable[..., Any]]]:
    """``(app, function)`` for each tenant app (settings.TENANT_APPS under ``tenant_apps.``) whose
    ``<app>.<module>`` defines a callable ``attribute``, in settings order."""
    hooks: list[tuple[str, Callable[..., Any]]] = []
    for app in settings.TENANT_APPS:
        if not app.startswith("tenant_apps."):
            continue
        module_name = f"{app}.{module}"
        try:
            loaded = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:  # the module exists but one of its own imports is missing
                raise
            continue
        hook = getattr(loaded, attribute, None)
        if callable(hook):
            hooks.append((app, hook))
    return hooks

"""``manage.py pb_results FILE.pb ...``: results straight from a Pabulib file, no database.

A thin wrapper: options and logic live in :mod:`tenant_apps.budgets.rules.cli`.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tenant_apps.budgets.rules.cli import add_arguments, run


class Command(BaseCommand):
    help = "Compute participatory-budgeting results (greedy / equal shares) from a Pabulib .pb file."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser: CommandParser) -> None:
        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        code = run(argparse.Namespace(**options), self.stdout, self.stderr)
        if code:
            raise CommandError("pb_results failed (see the error above)", returncode=code)

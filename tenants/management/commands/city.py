"""`manage.py city create|list|suspend|resume`: operate cities from the command line."""

from __future__ import annotations

import argparse
import getpass
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import ApplicationError
from tenants import operations, services
from tenants.models import City, CityExport


class Command(BaseCommand):
    help = "Create, list, suspend, resume, export, import, delete and migrate cities."

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="{create,list,suspend,resume,export,import,delete,migrate}"
        )
        create = sub.add_parser("create", help="Create a city with its schema, host and first admin.")
        create.add_argument("slug", help="Subdomain: <slug>.<BASE_DOMAIN>")
        create.add_argument("--name", required=True)
        create.add_argument("--admin-email", required=True)
        create.add_argument("--admin-password", default=None, help="Omit to create the admin without a password.")
        create.add_argument("--country", default="FR")
        create.add_argument("--language", default="fr")
        create.add_argument("--time-zone", default="Europe/Paris")
        sub.add_parser("list", help="List cities with their status and host.")
        migrate = sub.add_parser(
            "migrate", help="Migrate public, then every city not up to date, in parallel; a table of results."
        )
        migrate.add_argument("--workers", type=int, default=settings.TENANT_MULTIPROCESSING_MAX_PROCESSES)
        migrate.add_argument("--force", action="store_true", help="Also migrate cities recorded as up to date.")
        export = sub.add_parser("export", help="Export a city (every table and its files) to one archive.")
        export.add_argument("slug")
        export.add_argument("--output", help="Where to write the archive (default: a file in EXPORT_ROOT).")
        imp = sub.add_parser("import", help="Create a new city from an export archive.")
        imp.add_argument("archive")
        imp.add_argument("slug", help="Subdomain of the new city.")
        imp.add_argument("--name", default=None, help="Name of the new city (default: the exported name).")
        delete = sub.add_parser("delete", help="Delete a city for good (only after a recent finished export).")
        delete.add_argument("slug")
        delete.add_argument("--export", required=True, help="Public id of a finished export of this city.")
        delete.add_argument("--confirm", required=True, help="The subdomain again, to confirm.")
        for action in ("suspend", "resume"):
            p = sub.add_parser(action, help=f"{action.capitalize()} a city.")
            p.add_argument("slug")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "create":
                city = services.city_create(
                    slug=options["slug"],
                    name=options["name"],
                    admin_email=options["admin_email"],
                    admin_password=options["admin_password"],
                    country=options["country"],
                    language=options["language"],
                    time_zone=options["time_zone"],
                )
                self.stdout.write(self.style.SUCCESS(f"Created {city.name}: {city.absolute_url()}"))
            elif action == "list":
                self._list()
            elif action == "export":
                self._export(options["slug"], options["output"])
            elif action == "import":
                self._import(options["archive"], options["slug"], options["name"])
            elif action == "delete":
                city = self._get(options["slug"])
                operations.city_delete(
                    city=city,
                    export_public_id=options["export"],
                    confirm_slug=options["confirm"],
                    deleted_by=f"cli:{getpass.getuser()}",
                )
                self.stdout.write(self.style.SUCCESS(f"{city.name} was deleted."))
            elif action == "migrate":
                self._migrate(workers=options["workers"], force=options["force"])
            else:
                city = self._get(options["slug"])
                service = services.city_suspend if action == "suspend" else services.city_resume
                city = service(city=city)
                self.stdout.write(self.style.SUCCESS(f"{city.name} is now {city.status}."))
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc

    def _get(self, slug: str) -> City:
        try:
            return City.objects.get(slug=slug)
        except City.DoesNotExist as exc:
            raise CommandError(f"No city with subdomain “{slug}”.") from exc

    def _progress_bar(self, desc: str) -> tuple[tqdm[Any], Callable[[int, int, str], None]]:
        bar: tqdm[Any] = tqdm(total=0, desc=desc, unit="step", file=self.stderr)

        def progress(done: int, total: int, label: str) -> None:
            bar.total = total
            bar.n = done
            bar.set_postfix_str(label[:40])
            bar.refresh()

        return bar, progress

    def _export(self, slug: str, output: str | None) -> None:
        city = self._get(slug)
        export = CityExport.objects.create(
            public_id=uuid.uuid4(),
            city=city,
            city_slug=city.slug,
            city_name=city.name,
            requested_by=f"cli:{getpass.getuser()}",
        )
        bar, progress = self._progress_bar("export")
        with bar:
            export = operations.export_run(export_id=export.id, progress=progress)
        path = operations.export_path(export)
        if output:
            shutil.copyfile(path, output)
            path = Path(output)
        self.stdout.write(self.style.SUCCESS(f"Exported {city.name} to {path} (export id {export.public_id})"))

    def _import(self, archive_path: str, slug: str, name: str | None) -> None:
        from tenants.archive import import_city

        bar, progress = self._progress_bar("import")
        with bar:
            city = import_city(archive=Path(archive_path), slug=slug, name=name, progress=progress)
        self.stdout.write(self.style.SUCCESS(f"Imported as {city.name}: {city.absolute_url()}"))

    def _migrate(self, *, workers: int, force: bool) -> None:
        from tenants.migration import migrate_all_cities

        total = City.objects.count()
        with tqdm(total=total, desc="cities", unit="city", file=self.stderr, disable=total == 0) as bar:
            results = migrate_all_cities(workers=workers, force=force, on_result=lambda _r: bar.update(1))
        results.sort(key=lambda r: (r.status != "failed", r.slug))
        header = ("city", "schema", "result", "seconds", "error")
        rows = [
            (r.slug, r.schema_name, r.status, f"{r.seconds:.2f}", r.error.splitlines()[-1] if r.error else "")
            for r in results
        ]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip())
        failed = [r for r in results if r.status == "failed"]
        counts = {status: sum(1 for r in results if r.status == status) for status in ("migrated", "up to date")}
        summary = f"{counts['migrated']} migrated, {counts['up to date']} up to date, {len(failed)} failed"
        if failed:
            raise CommandError(f"{summary}: " + ", ".join(r.slug for r in failed))
        self.stdout.write(self.style.SUCCESS(summary))

    def _list(self) -> None:
        rows = [
            (c.slug, c.status, c.country, c.created_at.date().isoformat(), c.name)
            for c in City.objects.order_by("slug")
        ]
        header = ("slug", "status", "country", "created", "name")
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))

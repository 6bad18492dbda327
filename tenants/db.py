"""The database connection, typed as django-tenants' schema-aware wrapper (for mypy and readers)."""

from typing import cast

from django.db import connection as _connection
from django_tenants.postgresql_backend.base import DatabaseWrapper

# django.db.connection proxies the current thread's wrapper; with our ENGINE that wrapper is the
# django-tenants one, which knows schema_name, set_tenant(), set_schema_to_public().
connection = cast(DatabaseWrapper, _connection)

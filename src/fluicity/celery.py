"""The Celery app. Every task runs in the schema of the city that enqueued it (tenant-schemas-celery).

Queues: ``default`` (short tasks), ``heavy`` (exports, analysis, result computation, provisioning),
``email`` (outgoing mail, so a slow SMTP server never delays the rest).
"""

from __future__ import annotations

import os

from kombu import Queue
from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fluicity.settings.local")

app = CeleryApp("fluicity")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "heavy", "email")]
app.autodiscover_tasks()

"""The Fluicity Django project: settings, URL configurations, Celery app, WSGI/ASGI entry points."""

from fluicity.celery import app as celery_app

__all__ = ("celery_app",)

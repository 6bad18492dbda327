"""Test run: real PostgreSQL and Redis (DATABASE_URL / REDIS_URL, defaulting to 127.0.0.1)."""

import os

from .base import *  # noqa: F403
from .base import CACHES, REST_FRAMEWORK, env

DEBUG = False
BASE_DOMAIN = "fluicity.test"
ROOT_HOST_ALIASES = [f"www.{BASE_DOMAIN}"]
PUBLIC_URL_SCHEME = "http"
PUBLIC_URL_PORT = ""
# Redis database 15 and a separate prefix keep test keys away from a developer's data.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/15")
CACHES["default"]["LOCATION"] = REDIS_URL
# A prefix per run: runs never read each other's keys (throttle counters included), no flush needed.
CACHES["default"]["KEY_PREFIX"] = f"fluicity-test-{os.getpid()}"
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
# Fast hashing in tests only; production keeps Argon2.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
# Code that reaches the database before pytest-django has switched to the test database must fail
# loudly rather than write into a developer's data: this database never exists.
DATABASES["default"]["NAME"] = "fluicity_outside_test_database"
# One test database per run, so that two runs on one machine (a developer and an editor plugin, say)
# never drop or share each other's database.
DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=f"test_fluicity_{os.getpid()}")}

# Static files come from the apps directly (no collectstatic in tests).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True

# Assertions read English messages; translated pages are tested with an explicit language.
LANGUAGE_CODE = "en"
# Tests fill the pool themselves when they need it.
SCHEMA_POOL_SIZE = 1
# Throttling has its own tests (with their own rates); elsewhere it must not turn a 400 into a 429.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "10000/min", "user": "10000/min", "auth": "10000/min"},
}

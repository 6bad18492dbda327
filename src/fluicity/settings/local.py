"""Developer machine: `make run`. DEBUG on, emails printed to the console, plain http links."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
PUBLIC_URL_SCHEME = env.str("PUBLIC_URL_SCHEME", default="http")
PUBLIC_URL_PORT = env.str("PUBLIC_URL_PORT", default=env.str("PORT", default="8000"))

# runserver serves static files from the apps; no collectstatic needed on a developer machine.
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
SCHEMA_POOL_SIZE = env.int("SCHEMA_POOL_SIZE", default=2)

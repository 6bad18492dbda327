"""Settings shared by every environment. Values come from the environment (see docs/configuration.md)."""

from pathlib import Path

import environ
from celery.schedules import crontab

REPO_ROOT = Path(__file__).resolve().parents[3]
env = environ.Env()

SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-secret-key-change-me")
# Keys residents' ballot tokens (tenant_apps/budgets): never change it while a vote is open. Before rotating
# SECRET_KEY, set this to the current SECRET_KEY so that residents still find and revise their ballots.
BUDGETS_VOTER_TOKEN_KEY = env.str("BUDGETS_VOTER_TOKEN_KEY", default=SECRET_KEY)
DEBUG = env.bool("DEBUG", default=False)

# Root host serves the public site; every city lives at <slug>.<BASE_DOMAIN>.
BASE_DOMAIN = env.str("BASE_DOMAIN", default="localhost").lower()
# tenants.middleware.CityRoutingMiddleware is the gate on Host headers: it serves only the root host
# and hosts of known cities (custom domains included) and answers 404 to any other, so Django's own
# list can stay open. See docs/decisions/0003-routing.md.
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["*"])
# Extra root-host aliases (e.g. "www.example.org") served by the public URLconf.
ROOT_HOST_ALIASES = env.list("ROOT_HOST_ALIASES", default=[f"www.{BASE_DOMAIN}"])
# Scheme and port used when the platform writes absolute links (emails, printed URLs).
PUBLIC_URL_SCHEME = env.str("PUBLIC_URL_SCHEME", default="https")
PUBLIC_URL_PORT = env.str("PUBLIC_URL_PORT", default="")

# --- Applications -------------------------------------------------------------------------------
# Public schema: the platform itself (cities, sign-up, billing) and operator accounts.
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "core",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "shared_apps.onboarding",
    "shared_apps.billing",
]
# One schema per city: its residents and staff (auth + sessions live here too) and its participation.
TENANT_APPS = [
    "core",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "rest_framework.authtoken",
    "tenant_apps.accounts",
    "tenant_apps.budgets",
    "tenant_apps.consultations",
]
INSTALLED_APPS = list(SHARED_APPS) + [app for app in TENANT_APPS if app not in SHARED_APPS]

TENANT_MODEL = "tenants.City"
TENANT_DOMAIN_MODEL = "tenants.Domain"
PUBLIC_SCHEMA_NAME = "public"
PUBLIC_SCHEMA_URLCONF = "fluicity.urls_public"
ROOT_URLCONF = "fluicity.urls_city"
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
# Issue `SET search_path` only when the schema changed, not before every statement (it was half of all
# round trips). Safe because django-tenants forgets the cached path on ROLLBACK and ROLLBACK TO SAVEPOINT,
# which revert a SET in PostgreSQL, on close, and on every set_tenant()/set_schema().
TENANT_LIMIT_SET_CALLS = True
# Migrations across cities run in parallel workers (see `manage.py migrate_schemas`).
TENANT_MULTIPROCESSING_MAX_PROCESSES = env.int("MIGRATION_WORKERS", default=2)

AUTH_USER_MODEL = "core.User"

MIDDLEWARE = [
    # Probes answer before host validation so that Kubernetes can hit the pod IP.
    "core.health.HealthCheckMiddleware",
    "tenants.middleware.CityRoutingMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [REPO_ROOT / "src" / "fluicity" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.site",
            ],
        },
    },
]

WSGI_APPLICATION = "fluicity.wsgi.application"
ASGI_APPLICATION = "fluicity.asgi.application"

# --- Database -----------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/fluicity")}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: cache, Celery broker and results ----------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # Every key carries the schema of the current city: a value set in alpha is never read in beta.
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="fluicity"),
        "TIMEOUT": 300,
    }
}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=REDIS_URL)
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES_NAMES = ("default", "heavy", "email")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 600}
CELERY_TIMEZONE = "UTC"
# Seconds a worker keeps City rows cached when switching schema per task.
CELERY_TASK_TENANT_CACHE_SECONDS = 30
CELERY_IMPORTS = ("core.mail",)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "pool-refill": {"task": "tenants.pool_refill_task", "schedule": 300.0, "options": {"queue": "heavy"}},
    "provisioning-sweep": {"task": "tenants.provisioning_sweep_task", "schedule": 300.0},
    "signup-sweep": {"task": "onboarding.signup_sweep_task", "schedule": 300.0},
    "signup-expire": {"task": "onboarding.signup_expire_stale_task", "schedule": 3600.0},
    # Billing, nightly (UTC): usage of the day before, trials ending, invoices due, dunning, reminders.
    "billing-usage": {"task": "billing.usage_collect_dispatch_task", "schedule": crontab(hour=1, minute=0)},
    "billing-trials": {"task": "billing.trials_expire_task", "schedule": crontab(hour=2, minute=0)},
    "billing-invoices": {"task": "billing.invoices_generate_task", "schedule": crontab(hour=2, minute=15)},
    "billing-dunning": {"task": "billing.dunning_task", "schedule": crontab(hour=2, minute=30)},
    "billing-reminders": {"task": "billing.overdue_reminders_task", "schedule": crontab(hour=8, minute=0)},
    # Accounts: purge unconfirmed accounts past ACCOUNTS_UNVERIFIED_RETENTION_DAYS, in every city.
    "accounts-retention": {
        "task": "tenants.fan_out_task",
        "schedule": crontab(hour=3, minute=30),
        "kwargs": {"task_name": "accounts.unverified_purge_task"},
    },
    # Budgets: move processes to the phase their planned dates say (city calendar days).
    "budgets-schedule": {
        "task": "tenants.fan_out_task",
        "schedule": 300.0,
        "kwargs": {"task_name": "budgets.schedule_apply_task"},
    },
    # Consultations: open and close on their planned dates (city time), and the daily email digest.
    "consultations-schedule": {
        "task": "tenants.fan_out_task",
        "schedule": 300.0,
        "kwargs": {"task_name": "consultations.schedule_apply_task"},
    },
    "consultations-digest": {
        "task": "tenants.fan_out_task",
        "schedule": crontab(hour=7, minute=0),
        "kwargs": {"task_name": "consultations.digest_send_task"},
    },
    "consultations-notifications-sweep": {
        "task": "tenants.fan_out_task",
        "schedule": 600.0,
        "kwargs": {"task_name": "consultations.notifications_sweep_task"},
    },
    "consultations-exports-purge": {
        "task": "tenants.fan_out_task",
        "schedule": crontab(hour=4, minute=0),
        "kwargs": {"task_name": "consultations.exports_purge_task"},
    },
}
# Consultations exports: up to this many rows download at once, larger ones are built by Celery and
# emailed as a signed link valid CONSULTATIONS_EXPORT_LINK_MAX_AGE seconds; files are kept
# CONSULTATIONS_EXPORT_RETENTION_DAYS days (never less than the link's life).
CONSULTATIONS_EXPORT_SYNC_MAX_ROWS = env.int("CONSULTATIONS_EXPORT_SYNC_MAX_ROWS", default=50_000)
CONSULTATIONS_EXPORT_LINK_MAX_AGE = env.int("CONSULTATIONS_EXPORT_LINK_MAX_AGE", default=7 * 24 * 3600)
CONSULTATIONS_EXPORT_RETENTION_DAYS = env.int("CONSULTATIONS_EXPORT_RETENTION_DAYS", default=14)
# Billing (shared_apps.billing.conf reads these; see docs/billing.md). The issuer's details (name, address,
# VAT number, IBAN) default to placeholders: set BILLING_ISSUER in production settings.
BILLING_GRACE_DAYS = env.int("BILLING_GRACE_DAYS", default=30)
BILLING_PAYMENT_TERMS_DAYS = env.int("BILLING_PAYMENT_TERMS_DAYS", default=30)
BILLING_REMINDER_INTERVAL_DAYS = env.int("BILLING_REMINDER_INTERVAL_DAYS", default=7)
BILLING_INVOICE_PREFIX = env.str("BILLING_INVOICE_PREFIX", default="FLU")

# Spare city schemas kept migrated ahead of time (tenants.pool); provisioning claims one in milliseconds.
SCHEMA_POOL_SIZE = env.int("SCHEMA_POOL_SIZE", default=5)

# --- Auth and sessions --------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Sessions live in each city's schema (database backend), so a session of city A means nothing in B.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
# Host-only cookies: never a parent-domain cookie shared by every city.
SESSION_COOKIE_DOMAIN = None
CSRF_COOKIE_DOMAIN = None
LANGUAGE_COOKIE_DOMAIN = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
LOGIN_URL = "/account/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English"), ("nl", "Nederlands"), ("de", "Deutsch")]
LOCALE_PATHS = [REPO_ROOT / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static and media files ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(REPO_ROOT / "var" / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(REPO_ROOT / "var" / "media"))
STORAGES = {
    "default": {"BACKEND": "django_tenants.files.storage.TenantFileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# City exports (operators' archives): where they are written, how long a download link lives, and how
# recent an export must be for the city to be deleted after it.
EXPORT_ROOT = env.path("EXPORT_ROOT", default=str(REPO_ROOT / "var" / "exports"))
EXPORT_LINK_MAX_AGE = env.int("EXPORT_LINK_MAX_AGE", default=3600)
EXPORT_VALID_FOR_DELETE_DAYS = env.int("EXPORT_VALID_FOR_DELETE_DAYS", default=7)
# Uploaded files of a city live under MEDIA_ROOT/<schema>/ so that exports and deletion are per city.
MULTITENANT_RELATIVE_MEDIA_ROOT = "%s"

# --- Self-service sign-up (shared_apps.onboarding) -----------------------------------------------
SIGNUP_VERIFY_MAX_AGE = env.int("SIGNUP_VERIFY_MAX_AGE", default=48 * 3600)
SIGNUP_RATE_LIMIT_PER_IP = env.int("SIGNUP_RATE_LIMIT_PER_IP", default=5)
SIGNUP_RATE_LIMIT_IP_WINDOW = env.int("SIGNUP_RATE_LIMIT_IP_WINDOW", default=3600)
SIGNUP_RATE_LIMIT_PER_EMAIL = env.int("SIGNUP_RATE_LIMIT_PER_EMAIL", default=3)
SIGNUP_RATE_LIMIT_EMAIL_WINDOW = env.int("SIGNUP_RATE_LIMIT_EMAIL_WINDOW", default=86400)
SIGNUP_CHECK_RATE_LIMIT_PER_MINUTE = env.int("SIGNUP_CHECK_RATE_LIMIT_PER_MINUTE", default=60)
# How many reverse proxies stand in front (X-Forwarded-For is read from the right): 1 behind nginx.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Email --------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"Fluicity <no-reply@{BASE_DOMAIN}>")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
PLATFORM_CONTACT_EMAIL = env.str("PLATFORM_CONTACT_EMAIL", default=f"hello@{BASE_DOMAIN}")

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: a bad token then gets 401 with a WWW-Authenticate header, not 403.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_SCHEMA_CLASS": "core.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_RATES": {"anon": "120/min", "user": "600/min", "auth": "10/min"},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Fluicity API",
    "DESCRIPTION": (
        "On a city host (<slug>.<base domain>) the city API under /api/v1/; on the root host the "
        'platform API. Every 4xx answer has the body {"error": {"code", "message", "fields"}}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "CityStatusEnum": "tenants.models.CityStatus",
        "JobStatusEnum": "tenants.models.JobStatus",
        "SubscriptionStatusEnum": "shared_apps.billing.models.SubscriptionStatus",
        "InvoiceStatusEnum": "shared_apps.billing.models.InvoiceStatus",
    },
}

# --- Logging ------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

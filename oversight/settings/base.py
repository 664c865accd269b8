"""Settings shared by every environment, read from the environment.

With nothing set the app runs on SQLite in the project folder and runs Celery
tasks in-process, so `make run` works on a bare laptop. DATABASE_URL and
CELERY_BROKER_URL switch to PostgreSQL and a real broker.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab

from .env import env_bool, env_date, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served locally: the app works with no internet
    "simple_history",
    "oversight",
    "trusts",
    "indicators",
    "ingest",
    "actions",
    "dashboard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "oversight.middleware.RequestIdMiddleware",
    "oversight.middleware.SessionCookieGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "oversight.middleware.SecurityHeadersMiddleware",
    "oversight.middleware.LoginRequiredMiddleware",
]

# The audit trail is never edited through the app: no "revert to this version" in the admin.
SIMPLE_HISTORY_REVERT_DISABLED = True

ROOT_URLCONF = "oversight.urls"
WSGI_APPLICATION = "oversight.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dashboard.context_processors.site",
                "actions.context_processors.inbox",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'oversight.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # SQLite is the zero-install default; a generous timeout avoids "database is locked"
    # when the in-process recompute and a page request overlap.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so tests can hand the database to a subprocess (a Celery worker, a killed run);
    # one per test process, so two test runs on one machine never share (and lock) a file.
    DATABASES["default"]["TEST"] = {"NAME": str(Path(tempfile.gettempdir()) / f"oversight-test-{os.getpid()}.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "board"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

DATA_DIR = BASE_DIR / "data"
# Uploads waiting for their import task (ingest.tasks.import_upload) are kept here until read.
MEDIA_ROOT = env_str("MEDIA_ROOT", str(BASE_DIR / "media"))
FILE_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

REST_FRAMEWORK = {
    # Token first: its authenticate_header makes an unauthenticated request a 401 with WWW-Authenticate.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "oversight.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "oversight.api.pagination.ApiPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_RENDERER_CLASSES": [
        "oversight.api.renderers.FastJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
        "oversight.api.renderers.CSVRenderer",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "oversight.api.throttling.TokenRateThrottle",
        "oversight.api.throttling.SessionUserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": env_str("API_THROTTLE_TOKEN_RATE", "1200/min"),
        "user": env_str("API_THROTTLE_USER_RATE", "600/min"),
    },
    "EXCEPTION_HANDLER": "oversight.api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Oversight API",
    "DESCRIPTION": (
        "NHS trusts in regimes (SMQ, CP, NOF4): organisations, segments, indicators, results. "
        "Authenticate with `Authorization: Bearer <token>` (manage.py issue_token) or a signed-in session. "
        "Lists take `page`, `page_size` (at most 1000), `ordering` and `format=csv`. "
        "Errors are JSON: {detail, errors: {field: [messages]}}."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {"LeadershipRatingEnum": "trusts.constants.LeadershipRating"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "oversight.api.schema.add_error_responses",
    ],
    # Swagger UI's assets from the drf-spectacular-sidecar package (so the docs work offline) once
    # "drf_spectacular_sidecar" is in INSTALLED_APPS; the CDN until then.
    **(
        {"SWAGGER_UI_DIST": "SIDECAR", "SWAGGER_UI_FAVICON_HREF": "SIDECAR", "REDOC_DIST": "SIDECAR"}
        if "drf_spectacular_sidecar" in INSTALLED_APPS
        else {}
    ),
}

# The cache holds the sign-in lockouts and the API throttles' counts, so every worker process must
# share it: Redis at CACHE_URL, else the Redis broker (CELERY_BROKER_URL), else the database (the
# table comes from oversight's migration 0003, so `migrate` makes it everywhere).
CACHE_URL = env_str("CACHE_URL", "")
DATABASE_CACHE_TABLE = "oversight_cache"


def _caches(cache_url: str, broker_url: str) -> dict:
    url = cache_url or (broker_url if broker_url.startswith(("redis://", "rediss://")) else "")
    if url:
        backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    else:
        backend = {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": DATABASE_CACHE_TABLE}
    return {"default": {**backend, "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "oversight")}}


CACHES = _caches(CACHE_URL, env_str("CELERY_BROKER_URL", ""))

# Proxies in front of the app that append to X-Forwarded-For (0: clients connect directly, and
# REMOTE_ADDR is the client). Sign-in lockouts and DRF key on the client address seen through them.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT={TRUSTED_PROXY_COUNT} cannot be negative")
REST_FRAMEWORK["NUM_PROXIES"] = TRUSTED_PROXY_COUNT

# Seconds an unused cached API list answer keeps its room (0: no caching). Answers stay fresh through
# the data version (oversight.dataversion), not this timeout.
API_LIST_CACHE_SECONDS = env_int("API_LIST_CACHE_SECONDS", 600)

# Sign-in lockout (the site's and the admin's): attempts per account and client address in a window, reset by a success.
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_FAILURE_WINDOW = env_int("LOGIN_FAILURE_WINDOW", 15 * 60)

# Celery: with no broker configured, tasks run eagerly in-process.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 1800)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 2100)
CELERY_TIMEZONE = "UTC"
CELERY_ENABLE_UTC = True
CELERY_BEAT_SCHEDULE = {
    "nightly-recompute": {
        "task": "indicators.tasks.recompute_all",
        "schedule": crontab(hour=2, minute=30),
        "kwargs": {"incremental": True},  # only the indicators whose inputs changed (issue 11)
        # A nightly run not started within six hours is dropped: the next night's supersedes it.
        "options": {"expires": int(timedelta(hours=6).total_seconds())},
    },
    "daily-notification-digest": {"task": "actions.tasks.send_daily_digests", "schedule": crontab(hour=7, minute=0)},
    "weekly-board-pack": {
        "task": "actions.tasks.email_weekly_board_packs",
        "schedule": crontab(day_of_week="mon", hour=7, minute=15),
    },
}

# Notifications by email (issue 15): the console in development, SMTP when EMAIL_HOST is set.
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "") or (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
if env_str("EMAIL_FILE_PATH", ""):
    EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", "")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "") or "oversight@localhost"
SITE_URL = env_str("SITE_URL", "") or "http://127.0.0.1:8000"

# Processes computing indicators in parallel during a recompute (the write stays one transaction).
RECOMPUTE_PROCESSES = env_int("RECOMPUTE_PROCESSES", 1)
# As-at runs (results on data up to a past date, issue 15) kept by the prune: the latest N.
AS_AT_RUNS_KEPT = env_int("AS_AT_RUNS_KEPT", 5)

# Early-warning CUSUM threshold (methods.md §6): h = 4.389 gives an in-control ARL of ~500 months.
EARLY_WARNING_CUSUM_H = float(env_str("EARLY_WARNING_CUSUM_H", "4.389"))
EARLY_WARNING_CUSUM_K = float(env_str("EARLY_WARNING_CUSUM_K", "0.5"))
# The data's cut-off: time in regime, exit targets and the board's months-in count to it, not to
# today. Unset = the latest period of the monthly/quarterly data (issue 10).
DATA_CUTOFF = env_date("OVERSIGHT_DATA_CUTOFF")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

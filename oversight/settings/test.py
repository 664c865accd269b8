"""Test settings: fast password hashing; the database and broker still come from the environment."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
LOGGING["root"]["level"] = "WARNING"  # noqa: F405

# Tasks run in-process in tests unless a test sends them to the broker on purpose (the worker
# test switches this off for itself): nothing stray is left queued for a later worker to take.
CELERY_TASK_ALWAYS_EAGER = True

# Each test starts with an empty cache (tests/conftest.py clears it), so the suite uses a per-process
# memory cache unless CACHE_URL asks for a shared one; the multi-worker throttle test starts gunicorn
# with CACHE_URL pointing at Redis.
if not CACHE_URL:  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "oversight-test"}}

"""Test settings: fast password hashing; the database and broker still come from the environment."""

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DEBUG = False
LOGGING["root"]["level"] = "WARNING"  # noqa: F405

"""Local development: the zero-install defaults of base, with DEBUG on unless told otherwise."""

from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DEBUG", True)

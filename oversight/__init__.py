"""Oversight: tracking NHS trusts in special measures, challenged-provider and NOF segment 4."""

from .celery import app as celery_app

__all__ = ["celery_app"]

"""Settings are split by environment: base, dev, test, prod (see DJANGO_SETTINGS_MODULE)."""

"""URL patterns (filled in as the pages, records and API land)."""

urlpatterns: list = []

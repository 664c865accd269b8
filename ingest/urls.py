"""The upload page and each upload's status page (names and paths as they were under indicators)."""

from django.urls import path

from . import views

urlpatterns = [
    path("imports/", views.imports, name="imports"),
    path("imports/<int:pk>/", views.import_status, name="import-status"),
    path("imports/<int:pk>/status.json", views.import_status_json, name="import-status-json"),
]

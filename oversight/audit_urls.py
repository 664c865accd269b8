"""The audit trail (read only): /audit/ and one organisation's timeline."""

from django.urls import path

from . import audit_views

urlpatterns = [
    path("", audit_views.audit_list, name="audit"),
    path("organisation/<str:ods_code>/", audit_views.audit_organisation, name="audit-organisation"),
]

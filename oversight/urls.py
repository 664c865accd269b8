"""Top-level URL map: pages, records forms, the audit trail, the admin, and the API under /api/v1/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path

from . import token_views, views


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("about/", views.about, name="about"),
    path("glossary/", views.glossary, name="glossary"),
    path("account/tokens/", token_views.token_list, name="tokens"),
    path("account/tokens/<int:pk>/revoke/", token_views.token_revoke_view, name="token-revoke"),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/login/", views.admin_login, name="admin-login"),  # before the admin's own: throttled
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    # Pages: the board, trust list, search and trust page; indicator, regime analytics, early warning, upload.
    path("", include("dashboard.urls")),
    path("", include("indicators.urls")),
    path("", include("ingest.urls")),
    # Records: forms that change episode records, and the audit trail.
    path("records/", include("trusts.edit_urls")),
    path("records/", include("trusts.system_urls")),  # an ICB's system programme (issue 15)
    path("", include("actions.urls")),
    path("audit/", include("oversight.audit_urls")),
    # REST API v1.
    path("api/v1/", include("oversight.api_urls")),
]

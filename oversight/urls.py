"""Top-level URL map: pages, the admin, the API under /api/v1/."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import path

from . import views


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("", views.board, name="board"),
    path("about/", views.about, name="about"),
    path("accounts/login/", views.ThrottledLoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz),
]

"""Organisation pages: the list, the header search and the trust page."""

from django.urls import path

from . import views

urlpatterns = [
    path("trusts/", views.trust_list, name="trust-list"),
    path("trusts/<str:ods_code>/", views.trust_detail, name="trust-detail"),
    path("search/", views.search, name="search"),
]

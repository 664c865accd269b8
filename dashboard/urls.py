"""The pages that span apps: the national board, the trust list, the header search and the trust page."""

from django.urls import path

from . import as_at, board, trust

urlpatterns = [
    path("", board.board, name="board"),
    path("trusts/", trust.trust_list, name="trust-list"),
    path("trusts/<str:ods_code>/", trust.trust_detail, name="trust-detail"),
    path("search/", trust.search, name="search"),
    path("as-at/compute/", as_at.as_at_compute, name="as-at-compute"),
]

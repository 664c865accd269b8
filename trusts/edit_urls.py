"""Forms that change episode records, under /records/ (the trust page links to them by name)."""

from django.urls import path

from . import edit_views

urlpatterns = [
    path("episodes/new/", edit_views.episode_create, name="episode-create"),
    path("entry-proposals/", edit_views.entry_proposal_list, name="entry-proposal-list"),
    path("entry-proposals/<int:pk>/", edit_views.entry_proposal_decide, name="entry-proposal-decide"),
    path("episodes/<int:pk>/stocktake/", edit_views.stocktake_edit, name="episode-stocktake-edit"),
    path("episodes/<int:pk>/criteria/new/", edit_views.criterion_add, name="episode-criterion-add"),
    path("episodes/<int:pk>/notes/new/", edit_views.note_add, name="episode-note-add"),
    path("episodes/<int:pk>/propose-exit/", edit_views.propose_exit, name="episode-propose-exit"),
    path("episodes/<int:pk>/approve-exit/", edit_views.approve_exit, name="episode-approve-exit"),
    path("criteria/<int:pk>/", edit_views.criterion_edit, name="criterion-edit"),
    path("criteria/<int:pk>/approve/", edit_views.criterion_approve, name="criterion-approve"),
    path("funding/<int:pk>/", edit_views.funding_edit, name="funding-edit"),
]

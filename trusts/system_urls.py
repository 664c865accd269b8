"""The forms of an ICB's system programme, under /records/ beside the other episode records' forms."""

from django.urls import path

from . import system_views

urlpatterns = [
    path("episodes/<int:pk>/system-director/", system_views.system_director_assign, name="system-director-assign"),
    path("episodes/<int:pk>/system-links/new/", system_views.system_trust_link, name="system-trust-link"),
    path("system-links/<int:pk>/unlink/", system_views.system_trust_unlink, name="system-trust-unlink"),
]

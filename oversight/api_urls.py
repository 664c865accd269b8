"""REST API v1: one router for every app's viewsets, the OpenAPI schema and Swagger UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from actions.api import transitions as transition_views
from actions.api import views as action_views
from indicators.api import views as indicator_views
from trusts.api import system as system_views
from trusts.api import views as trust_views

from .api import schema  # noqa: F401 — registers the bearer-token scheme with drf-spectacular
from .api.views import PingView

# A namespace keeps the viewsets' names (indicator-list…) apart from the pages' (indicator-list…).
app_name = "api"

router = DefaultRouter()
router.include_format_suffixes = False  # `?format=csv` instead of a second URL per route
router.register("organisations", trust_views.OrganisationViewSet, basename="organisation")
router.register("regimes", trust_views.RegimeViewSet, basename="regime")
router.register("episodes", trust_views.EpisodeViewSet, basename="episode")
router.register("entry-proposals", trust_views.EntryProposalViewSet, basename="entry-proposal")
router.register("system-programmes", system_views.SystemProgrammeViewSet, basename="system-programme")
router.register("segments", trust_views.SegmentViewSet, basename="segment")
router.register("stocktakes", trust_views.StocktakeViewSet, basename="stocktake")
router.register("criteria", trust_views.CriterionViewSet, basename="criterion")
router.register("funding", trust_views.FundingViewSet, basename="funding")
router.register("notes", trust_views.NoteViewSet, basename="note")
router.register("indicators", indicator_views.IndicatorViewSet, basename="indicator")
router.register("observations", indicator_views.ObservationViewSet, basename="observation")
router.register("zscores", indicator_views.ZScoreViewSet, basename="zscore")
router.register("trajectories", indicator_views.TrajectoryViewSet, basename="trajectory")
router.register("pooled-effects", indicator_views.PooledEffectViewSet, basename="pooled-effect")
router.register("spc", indicator_views.SpcPointViewSet, basename="spc")
router.register("alerts", indicator_views.AlertViewSet, basename="alert")
router.register("runs", indicator_views.ComputationRunViewSet, basename="run")
router.register("subscriptions", action_views.SubscriptionViewSet, basename="subscription")
router.register("notifications", action_views.NotificationViewSet, basename="notification")
router.register("cases", action_views.CaseViewSet, basename="case")
router.register("transitions", transition_views.TransitionViewSet, basename="transition")
router.register("communications", transition_views.CommunicationViewSet, basename="communication")

urlpatterns = [
    path("ping/", PingView.as_view(), name="ping"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
]

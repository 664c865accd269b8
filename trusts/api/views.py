"""API views for organisations, regimes, episodes, segments and episode records.

Reads are narrowed by oversight.permissions before any filter runs; writes call trusts.services,
which check the acting user's rights (a token's scope included) and the record's version.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.reverse import reverse

from oversight import permissions
from oversight.api.fastlist import ValuesListMixin
from oversight.api.listcache import CachedListMixin
from oversight.api.views import GenericViewSet, ReadOnlyViewSet
from trusts import services

from ..filters import EpisodeFilterSet, OrganisationFilterSet
from ..models import (
    DiagnosticStocktake,
    EntryProposal,
    EpisodeNote,
    ExitCriterion,
    Organisation,
    Regime,
    RegimeEpisode,
    SegmentAssignment,
    SupportFunding,
)
from . import serializers
from .filters import CriterionFilterSet, FundingFilterSet, NoteFilterSet, SegmentFilterSet, StocktakeFilterSet


def _validated(view, record=None, **options) -> dict:
    """The request's input, validated by the view's serializer (400 naming the field otherwise)."""
    serializer = view.get_serializer(record, data=view.request.data, **options)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _edit(view, record) -> tuple[int, str, dict]:
    """Validate an edit of `record`; split it into the expected version, the change reason and the field changes."""
    changes = dict(_validated(view, record, partial=True))
    version = changes.pop("version", None)
    reason = changes.pop("change_reason", "") or ""
    return version, reason, changes


def _decision(view, *fields: str) -> dict:
    """Validate a decision: the version it was based on, its reason and `fields`, as the services take them."""
    data = _validated(view)
    return {
        **{name: data[name] for name in fields},
        "expected_version": data["version"],
        "reason": data.get("change_reason", ""),
    }


def _require(allowed: bool, message: str) -> None:
    """Refuse before reading the input, so a caller without the right learns nothing from validation."""
    if not allowed:
        raise PermissionDenied(message)


def _not_found_as_field_error(field: str, value) -> ValidationError:
    # A record the user may not see is answered as one that does not exist.
    return ValidationError({field: [f'Invalid pk "{value}" - object does not exist.']})


class OrganisationViewSet(ReadOnlyViewSet):
    """Organisations by ODS code: the list holds NHS trusts unless `sector` says otherwise (`sector=all`)."""

    queryset = Organisation.objects.select_related("parent_icb", "successor").order_by("ods_code")
    serializer_class = serializers.OrganisationSerializer
    filterset_class = OrganisationFilterSet
    lookup_field = "ods_code"
    lookup_value_regex = "[A-Za-z0-9]+"
    ordering_fields = ["ods_code", "name", "region", "kind", "sector"]

    def filter_queryset(self, queryset):
        # The list's default (NHS trusts) must not hide one organisation asked for by its code.
        if self.action != "list":
            return permissions.visible_to(self.request.user, queryset)
        return super().filter_queryset(queryset)


class RegimeViewSet(ReadOnlyViewSet):
    """The regimes (SMQ, CP, NOF4…) with their validity and exit targets."""

    queryset = Regime.objects.order_by("valid_from", "code")
    serializer_class = serializers.RegimeSerializer
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9_-]+"
    ordering_fields = ["code", "valid_from"]
    pagination_class = None


@extend_schema_view(
    create=extend_schema(
        request=serializers.EpisodeCreateSerializer,
        responses={201: serializers.EntryProposalSerializer},
        description="Propose an entry into a regime (oversight staff). Nothing enters the regime yet: a second "
        "oversight user approves the proposal at /api/v1/entry-proposals/{id}/approve/, which creates the episode.",
    ),
)
class EpisodeViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, ReadOnlyViewSet):
    """Regime episodes. Entry and exit are proposed by one user and approved by another oversight user;
    an edit changes the route, reason, notes and buddy trust, never the entry, exit or regime (409)."""

    serializer_class = serializers.EpisodeSerializer
    filterset_class = EpisodeFilterSet
    ordering_fields = ["entered", "exited", "organisation__ods_code", "regime__code"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return RegimeEpisode.objects.select_related(
            "organisation", "regime", "buddy_trust", "proposed_exit_by"
        ).order_by("entered", "pk")

    def get_serializer_class(self):
        if self.action == "create":
            return serializers.EpisodeCreateSerializer
        if self.action == "propose_exit":
            return serializers.ProposeExitSerializer
        if self.action == "approve_exit":
            return serializers.ApproveExitSerializer
        return serializers.EpisodeSerializer

    def create(self, request, *args, **kwargs):
        _require(permissions.can_manage_episodes(request.user), "Only oversight staff can propose an entry.")
        proposal = services.entry_propose(actor=request.user, **_validated(self))
        location = reverse("api:entry-proposal-detail", args=[proposal.pk])
        return Response(
            serializers.EntryProposalSerializer(proposal).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": location},
        )

    def update(self, request, *args, **kwargs):
        episode = self.get_object()
        _require(permissions.can_manage_episodes(request.user), "Only oversight staff can edit an episode.")
        version, reason, changes = _edit(self, episode)
        if isinstance(request.data, dict) and "regime" in request.data:
            # Read-only in the representation; sent in an edit it is a decision, which the service refuses.
            changes["regime"] = request.data["regime"]
        services.episode_update(
            actor=request.user, episode=episode, expected_version=version, change_reason=reason, **changes
        )
        return Response(serializers.EpisodeSerializer(episode).data)

    @action(detail=True, methods=["post"], url_path="propose-exit")
    def propose_exit(self, request, pk=None):
        """Propose an exit date (the trust's ID or oversight staff)."""
        episode = self.get_object()
        _require(
            permissions.can_edit_trust_records(request.user, episode.organisation_id),
            "Only the trust's improvement director or oversight staff can propose an exit.",
        )
        services.episode_propose_exit(actor=request.user, episode=episode, **_decision(self, "exit_date"))
        return Response(serializers.EpisodeSerializer(episode).data)

    @action(detail=True, methods=["post"], url_path="approve-exit")
    def approve_exit(self, request, pk=None):
        """Approve the proposed exit: oversight staff other than the proposer; the episode closes."""
        episode = self.get_object()
        _require(permissions.can_approve(request.user), "Only oversight staff can approve an exit.")
        services.episode_approve_exit(actor=request.user, episode=episode, **_decision(self))
        return Response(serializers.EpisodeSerializer(episode).data)


class EntryProposalViewSet(mixins.CreateModelMixin, ReadOnlyViewSet):
    """Proposed entries into a regime (oversight staff): one user proposes, a different one approves."""

    serializer_class = serializers.EntryProposalSerializer
    ordering_fields = ["proposed_at", "entered", "status"]
    filterset_fields = ["status"]

    def get_queryset(self):
        return EntryProposal.objects.select_related(
            "organisation", "regime", "buddy_trust", "proposed_by", "decided_by"
        ).order_by("-proposed_at", "-pk")

    def get_serializer_class(self):
        if self.action in ("approve", "reject"):
            return serializers.DecideEntrySerializer
        return serializers.EntryProposalSerializer

    def create(self, request, *args, **kwargs):
        _require(permissions.can_manage_episodes(request.user), "Only oversight staff can propose an entry.")
        proposal = services.entry_propose(actor=request.user, **_validated(self))
        return Response(self.get_serializer(proposal).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=serializers.EpisodeSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the entry (oversight staff other than the proposer): the episode is created."""
        proposal = self.get_object()
        _require(permissions.can_approve(request.user), "Only oversight staff can approve an entry.")
        episode = services.entry_approve(actor=request.user, proposal=proposal, **_decision(self))
        return Response(serializers.EpisodeSerializer(episode).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=serializers.EntryProposalSerializer)
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Turn the proposed entry down (oversight staff), with a reason."""
        proposal = self.get_object()
        _require(permissions.can_approve(request.user), "Only oversight staff can decide on an entry.")
        services.entry_reject(actor=request.user, proposal=proposal, **_decision(self))
        return Response(serializers.EntryProposalSerializer(proposal).data)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("as_of", str, description="A date, YYYY-MM-DD: the segment in force on it."),
        ]
    )
)
class SegmentViewSet(CachedListMixin, ValuesListMixin, ReadOnlyViewSet):
    """NHS Oversight Framework segments; `?as_of=YYYY-MM-DD` gives every organisation's segment on a date."""

    count_in_window = True  # one query: the page and the total together
    serializer_class = serializers.SegmentSerializer
    filterset_class = SegmentFilterSet
    ordering_fields = ["effective_from", "segment", "organisation__ods_code", "rank", "average_score"]

    def get_queryset(self):
        return SegmentAssignment.objects.select_related("organisation", "framework").order_by(
            "organisation__ods_code", "effective_from", "pk"
        )


class EpisodeRecordViewSet(GenericViewSet):
    """Shared by the records of an episode: only those of episodes the user may see in detail."""

    model = None

    def get_queryset(self):
        return self.model.objects.select_related("episode__organisation", "episode__regime").order_by("pk")

    def editable_object(self):
        record = self.get_object()
        _require(
            permissions.can_edit_trust_records(self.request.user, record.episode.organisation_id),
            "Only the trust's improvement director or oversight staff can change its records.",
        )
        return record

    def require_some_edit_right(self):
        _require(
            permissions.can_edit_some_trust_records(self.request.user),
            "Only improvement directors and oversight staff can add episode records.",
        )

    def visible_episode(self, episode):
        """The episode a new record is for; one the user may not see is answered as missing.

        Whether they may add to it is the service's question (403).
        """
        if not permissions.can_see_episode(self.request.user, episode):
            raise _not_found_as_field_error("episode", episode.pk)
        return episode


class StocktakeViewSet(EpisodeRecordViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin):
    """Diagnostic stocktakes: the baseline account of why a trust entered."""

    model = DiagnosticStocktake
    serializer_class = serializers.StocktakeSerializer
    filterset_class = StocktakeFilterSet
    ordering_fields = ["episode", "completed_on"]
    http_method_names = ["get", "put", "patch", "head", "options"]

    def update(self, request, *args, **kwargs):
        stocktake = self.editable_object()
        version, reason, changes = _edit(self, stocktake)
        services.stocktake_update(
            actor=request.user, stocktake=stocktake, expected_version=version, reason=reason, **changes
        )
        return Response(self.get_serializer(stocktake).data)


class CriterionViewSet(
    EpisodeRecordViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
):
    """Exit criteria: proposed by the ID, approved by oversight staff; later changes show against approval."""

    model = ExitCriterion
    serializer_class = serializers.CriterionSerializer
    filterset_class = CriterionFilterSet
    ordering_fields = ["episode", "theme", "status"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        return super().get_queryset().select_related("indicator", "approved_by")

    def get_serializer_class(self):
        if self.action == "approve":
            return serializers.ApproveCriterionSerializer
        return serializers.CriterionSerializer

    def create(self, request, *args, **kwargs):
        self.require_some_edit_right()
        data = dict(_validated(self))
        data.pop("version", None)
        data.pop("status", None)
        reason = data.pop("change_reason", "")
        episode = self.visible_episode(data.pop("episode"))
        criterion = services.criterion_create(actor=request.user, episode=episode, reason=reason, **data)
        return Response(serializers.CriterionSerializer(criterion).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        criterion = self.editable_object()
        version, reason, changes = _edit(self, criterion)
        episode = changes.pop("episode", criterion.episode)
        if episode.pk != criterion.episode_id:
            raise ValidationError({"episode": ["A criterion cannot move to another episode."]})
        services.criterion_update(
            actor=request.user, criterion=criterion, expected_version=version, reason=reason, **changes
        )
        return Response(serializers.CriterionSerializer(criterion).data)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Approve the criterion (oversight staff other than its proposer), freezing its terms."""
        criterion = self.get_object()
        _require(permissions.can_approve(request.user), "Only oversight staff can approve exit criteria.")
        services.criterion_approve(actor=request.user, criterion=criterion, **_decision(self))
        return Response(serializers.CriterionSerializer(criterion).data)


class FundingViewSet(EpisodeRecordViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin):
    """Support funding by year and category; the ID records what was spent."""

    model = SupportFunding
    serializer_class = serializers.FundingSerializer
    filterset_class = FundingFilterSet
    ordering_fields = ["episode", "year", "category"]
    http_method_names = ["get", "put", "patch", "head", "options"]

    def update(self, request, *args, **kwargs):
        funding = self.editable_object()
        version, reason, changes = _edit(self, funding)
        if "spent" not in changes:
            raise ValidationError({"spent": ["Give the amount spent."]})
        services.funding_update_spend(
            actor=request.user, funding=funding, spent=changes["spent"], expected_version=version, reason=reason
        )
        return Response(self.get_serializer(funding).data)


class NoteViewSet(EpisodeRecordViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin):
    """Dated notes on an episode."""

    model = EpisodeNote
    serializer_class = serializers.NoteSerializer
    filterset_class = NoteFilterSet
    ordering_fields = ["created"]

    def get_queryset(self):
        return super().get_queryset().select_related("author")

    def create(self, request, *args, **kwargs):
        self.require_some_edit_right()
        data = _validated(self)
        episode = self.visible_episode(data["episode"])
        note = services.note_add(actor=request.user, episode=episode, text=data["text"])
        return Response(serializers.NoteSerializer(note).data, status=status.HTTP_201_CREATED)


__all__ = [
    "CriterionViewSet",
    "EntryProposalViewSet",
    "EpisodeViewSet",
    "FundingViewSet",
    "NoteViewSet",
    "OrganisationViewSet",
    "RegimeViewSet",
    "SegmentViewSet",
    "StocktakeViewSet",
]

"""/api/v1/system-programmes/: the episodes of ICBs, each with its System Improvement Directors and the trusts
its programme covers (with their own open regimes). Read only; changes go through the ICB's page.

The episodes pass through oversight.permissions.visible_to as every episode list does (a CP-confidential
ICB episode is absent, its detail 404); the linked trusts and their regimes are narrowed the same way.
"""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from oversight.api.views import ReadOnlyViewSet

from ..constants import OrganisationKind
from ..models import ImprovementDirectorAssignment, RegimeEpisode
from ..system_models import SystemProgrammeLink
from ..system_programme import SID, system_directors, visible_links
from .filters import StaticFilterSet


class SystemDirectorSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.SerializerMethodField()

    class Meta:
        model = ImprovementDirectorAssignment
        fields = ["username", "name", "date_from", "date_to"]

    def get_name(self, assignment) -> str:
        return assignment.user.get_full_name() or assignment.user.get_username()


class LinkedTrustSerializer(serializers.ModelSerializer):
    ods_code = serializers.CharField(source="trust.ods_code", read_only=True)
    name = serializers.CharField(source="trust.name", read_only=True)
    parent_icb = serializers.SerializerMethodField(help_text="The ODS code of the trust's own ICB.")
    current_regimes = serializers.SerializerMethodField(help_text="The trust's open regime episodes' regime codes.")

    class Meta:
        model = SystemProgrammeLink
        fields = ["ods_code", "name", "parent_icb", "outside_icb", "linked_on", "note", "current_regimes"]

    def get_parent_icb(self, link) -> str | None:
        return link.trust.parent_icb.ods_code if link.trust.parent_icb else None

    def get_current_regimes(self, link) -> list[str]:
        return [episode.regime.code for episode in link.trust.open_visible]


class SystemProgrammeSerializer(serializers.ModelSerializer):
    icb = serializers.CharField(source="organisation.ods_code", read_only=True)
    icb_name = serializers.CharField(source="organisation.name", read_only=True)
    regime = serializers.CharField(source="regime.code", read_only=True)
    is_open = serializers.BooleanField(read_only=True)
    system_improvement_directors = serializers.SerializerMethodField()
    # A method, not a nested field on the reverse relation: the list is never null (the schema says so).
    linked_trusts = serializers.SerializerMethodField()

    class Meta:
        model = RegimeEpisode
        fields = [
            "id",
            "icb",
            "icb_name",
            "regime",
            "entered",
            "exited",
            "is_open",
            "system_improvement_directors",
            "linked_trusts",
        ]

    @extend_schema_field(LinkedTrustSerializer(many=True))
    def get_linked_trusts(self, episode) -> list[dict]:
        return LinkedTrustSerializer(episode.system_links.all(), many=True).data

    @extend_schema_field(SystemDirectorSerializer(many=True))
    def get_system_improvement_directors(self, episode) -> list[dict]:
        directors = system_directors(episode.organisation, episode, episode.organisation.sid_assignments)
        return SystemDirectorSerializer(directors, many=True).data


class SystemProgrammeFilterSet(StaticFilterSet):
    icb = django_filters.CharFilter(
        field_name="organisation__ods_code", lookup_expr="iexact", label="The ICB's ODS code"
    )
    trust = django_filters.CharFilter(
        field_name="system_links__trust__ods_code", lookup_expr="iexact", label="A linked trust's ODS code"
    )
    regime = django_filters.CharFilter(field_name="regime__code", lookup_expr="iexact")
    open = django_filters.BooleanFilter(method="filter_open", label="Ongoing (true) or ended (false)")

    class Meta:
        model = RegimeEpisode
        fields = ["icb", "trust", "regime", "open"]

    def filter_open(self, queryset, name, value):
        ongoing = {"exited__isnull": True, "exit_unknown": False}
        return queryset.filter(**ongoing) if value else queryset.exclude(**ongoing)


class SystemProgrammeViewSet(ReadOnlyViewSet):
    """ICBs in a regime: the episode, its System Improvement Directors and its linked trusts."""

    serializer_class = SystemProgrammeSerializer
    filterset_class = SystemProgrammeFilterSet
    ordering_fields = ["entered", "organisation__ods_code"]

    def get_queryset(self):
        links = visible_links(self.request.user)
        sids = ImprovementDirectorAssignment.objects.filter(role=SID).select_related("user")
        return (
            RegimeEpisode.objects.filter(organisation__kind=OrganisationKind.ICB)
            .select_related("organisation", "regime")
            .prefetch_related(
                Prefetch("system_links", queryset=links),
                Prefetch("organisation__id_assignments", queryset=sids, to_attr="sid_assignments"),
            )
            .order_by("-entered", "pk")
            .distinct()
        )

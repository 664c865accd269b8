"""API representations of organisations, regimes, episodes, segments and episode records.

Writes go through trusts.services (the same as the forms): a serializer only validates the
shape of the input. Edits carry the `version` the client read (optimistic concurrency) and
may carry a `change_reason`, which changing an approved criterion and closing an episode require.
"""

import copy

from rest_framework import serializers

from oversight import permissions

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
from ..services import STOCKTAKE_FIELDS


class SlugField(serializers.SlugRelatedField):
    """A related record by its code; a code with a NUL byte is refused as unknown (PostgreSQL cannot compare it)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", "\\x00"))
        return super().to_internal_value(data)


class OrganisationSerializer(serializers.ModelSerializer):
    parent_icb = serializers.SlugRelatedField(slug_field="ods_code", read_only=True, allow_null=True)
    successor = serializers.SlugRelatedField(slug_field="ods_code", read_only=True, allow_null=True)

    class Meta:
        model = Organisation
        fields = [
            "id",
            "ods_code",
            "name",
            "name_source",
            "sector",
            "kind",
            "region",
            "parent_icb",
            "foundation_trust",
            "opened",
            "closed",
            "successor",
            "verified",
        ]


class RegimeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Regime
        fields = [
            "id",
            "code",
            "name",
            "family",
            "valid_from",
            "valid_to",
            "exit_target_months",
            "confidential",
            "description",
        ]


class VersionedWriteMixin(serializers.Serializer):
    """`version` is what the client read and must send back to edit; `change_reason` says why."""

    version = serializers.IntegerField(
        min_value=1, required=False, help_text="The version you read; an edit based on an older one is refused (409)."
    )
    change_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=2000, help_text="Why this change is made."
    )

    def validate(self, attrs):
        if self.instance is not None and "version" not in attrs:
            raise serializers.ValidationError({"version": ["Send the version you read, to edit this record."]})
        return super().validate(attrs)


class EpisodeSerializer(VersionedWriteMixin, serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="ods_code", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    regime = serializers.SlugRelatedField(slug_field="code", read_only=True)
    buddy_trust = SlugField(slug_field="ods_code", queryset=Organisation.objects.all(), required=False, allow_null=True)
    proposed_exit_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    is_open = serializers.BooleanField(read_only=True)
    details_disclosed = serializers.SerializerMethodField(
        help_text="False for a caller without confidential access: the route reads not_disclosed for direct and "
        "escalated entries, and reason and notes are withheld, on every episode alike."
    )

    class Meta:
        model = RegimeEpisode
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "regime",
            "entered",
            "exited",
            "exit_unknown",
            "route",
            "reason",
            "notes",
            "buddy_trust",
            "synthetic",
            "proposed_exit",
            "proposed_exit_by",
            "is_open",
            "details_disclosed",
            "version",
            "change_reason",
        ]
        read_only_fields = ["synthetic", "proposed_exit", "exit_unknown"]

    def _reader(self):
        request = self.context.get("request")
        return getattr(request, "user", None) if request is not None else None

    def get_details_disclosed(self, episode) -> bool:
        request = self.context.get("request")
        return request is None or permissions.discloses_episode_details(self._reader(), episode)

    def to_representation(self, episode):
        data = super().to_representation(episode)
        if not data["details_disclosed"]:
            # oversight.permissions decides what a caller without confidential access reads of an episode.
            shown = permissions.redact_episode(self._reader(), copy.copy(episode))
            data.update(route=shown.route, reason=shown.reason, notes=shown.notes)
        return data


class EpisodeCreateSerializer(serializers.ModelSerializer):
    organisation = SlugField(slug_field="ods_code", queryset=Organisation.objects.all())
    regime = SlugField(slug_field="code", queryset=Regime.objects.all())
    buddy_trust = SlugField(slug_field="ods_code", queryset=Organisation.objects.all(), required=False, allow_null=True)

    class Meta:
        model = RegimeEpisode
        fields = ["organisation", "regime", "entered", "route", "reason", "notes", "buddy_trust"]


class EntryProposalSerializer(serializers.ModelSerializer):
    """A proposed entry into a regime; a second oversight user approves it and the episode is created."""

    organisation = SlugField(slug_field="ods_code", queryset=Organisation.objects.all())
    regime = SlugField(slug_field="code", queryset=Regime.objects.all())
    buddy_trust = SlugField(slug_field="ods_code", queryset=Organisation.objects.all(), required=False, allow_null=True)
    proposed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    decided_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = EntryProposal
        fields = [
            "id",
            "organisation",
            "regime",
            "entered",
            "route",
            "reason",
            "notes",
            "buddy_trust",
            "status",
            "proposed_by",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decision_reason",
            "episode",
            "version",
        ]
        read_only_fields = [
            "status",
            "proposed_at",
            "decided_at",
            "decision_reason",
            "episode",
            "version",
        ]


class DecideEntrySerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    change_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ProposeExitSerializer(serializers.Serializer):
    exit_date = serializers.DateField()
    version = serializers.IntegerField(min_value=1)
    change_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ApproveExitSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    change_reason = serializers.CharField(max_length=2000, help_text="Why the episode closes (required).")


class ApproveCriterionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    change_reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)


# The framework edition and the league table's own figures, as the published file gives them.
SEGMENT_DETAIL_FIELDS = [
    "framework",
    "category",
    "rank",
    "average_score",
    "in_deficit",
    "finance_in_deficit",
    "pre_adjustment_segment",
    "domain_access",
    "domain_effectiveness_experience",
    "domain_finance_productivity",
    "domain_patient_safety",
    "domain_people_workforce",
]


class SegmentSerializer(serializers.ModelSerializer):
    """A segment assignment. The list (the API's busiest) renders these fields from values_list rows."""

    organisation = serializers.CharField(source="organisation.ods_code", read_only=True)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    region = serializers.CharField(source="organisation.region", read_only=True)
    framework = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = SegmentAssignment
        fields = [
            "id",
            "organisation",
            "organisation_name",
            "region",
            "segment",
            "effective_from",
            "effective_to",
            "published",
            "source",
            "synthetic",
            *SEGMENT_DETAIL_FIELDS,
        ]


class EpisodeRecordMixin(serializers.Serializer):
    organisation = serializers.CharField(source="episode.organisation.ods_code", read_only=True)


class StocktakeSerializer(EpisodeRecordMixin, VersionedWriteMixin, serializers.ModelSerializer):
    class Meta:
        model = DiagnosticStocktake
        fields = ["id", "episode", "organisation", *STOCKTAKE_FIELDS, "version", "change_reason"]
        read_only_fields = ["episode"]


class CriterionSerializer(EpisodeRecordMixin, VersionedWriteMixin, serializers.ModelSerializer):
    episode = serializers.PrimaryKeyRelatedField(queryset=RegimeEpisode.objects.all())
    # The indicator through the criterion's own relation: trusts names no indicators module.
    indicator = SlugField(
        slug_field="code",
        queryset=ExitCriterion._meta.get_field("indicator").related_model.objects.all(),
        required=False,
        allow_null=True,
    )
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    changed_after_approval = serializers.SerializerMethodField(
        help_text="Terms changed since approval: {field: [approved, now]}."
    )
    data_disagrees = serializers.BooleanField(
        read_only=True, help_text="The status and the data's evaluation disagree (met against not met)."
    )
    data_status = serializers.ChoiceField(
        choices=ExitCriterion._meta.get_field("data_status").choices,
        allow_blank=True,
        read_only=True,
        help_text="The stored data's evaluation of a criterion linked to an indicator; blank when not linked.",
    )

    class Meta:
        model = ExitCriterion
        fields = [
            "id",
            "episode",
            "organisation",
            "theme",
            "description",
            "indicator",
            "comparator",
            "threshold",
            "months_sustained",
            "status",
            "evidence",
            "approved_at",
            "approved_by",
            "approved_snapshot",
            "changed_after_approval",
            "data_status",
            "met_since",
            "data_evaluated_at",
            "data_disagrees",
            "version",
            "change_reason",
        ]
        read_only_fields = ["approved_at", "approved_snapshot", "data_status", "met_since", "data_evaluated_at"]

    def get_changed_after_approval(self, criterion) -> dict:
        return {field: list(values) for field, values in criterion.changes_since_approval().items()}


class FundingSerializer(EpisodeRecordMixin, VersionedWriteMixin, serializers.ModelSerializer):
    class Meta:
        model = SupportFunding
        fields = ["id", "episode", "organisation", "year", "category", "budget", "spent", "version", "change_reason"]
        read_only_fields = ["episode", "year", "category", "budget"]


class NoteSerializer(EpisodeRecordMixin, serializers.ModelSerializer):
    episode = serializers.PrimaryKeyRelatedField(queryset=RegimeEpisode.objects.all())
    author = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = EpisodeNote
        fields = ["id", "episode", "organisation", "author", "created", "text"]
        read_only_fields = ["created"]

"""API representations of the indicator catalogue, observations and the stored results.

Observations and z-scores carry `synthetic`: true when the value came from the generated demo set.
Long lists render these declarations from values_list rows (oversight.api.fastlist).
"""

from rest_framework import serializers

from oversight import permissions

from ..models import Alert, ComputationRun, Indicator, Observation, PooledEffect, TrajectoryFit, ZScore
from ..stats.spc import POINT_TYPES


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "cadence",
            "polarity",
            "unit",
            "description",
            "source",
            "pre_window_months",
            "target",
            "applies_to",
            "synthetic",
        ]


class ObservationSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.ods_code", read_only=True)
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    synthetic = serializers.BooleanField(
        source="is_synthetic", read_only=True, help_text="Generated demo data, not a real value."
    )
    batch = serializers.IntegerField(source="batch_id", read_only=True, allow_null=True)

    class Meta:
        model = Observation
        fields = [
            "id",
            "organisation",
            "indicator",
            "period",
            "numerator",
            "denominator",
            "value",
            "lower",
            "upper",
            "batch",
            "synthetic",
        ]


class ZScoreSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.ods_code", read_only=True)
    indicator = serializers.CharField(source="indicator.code", read_only=True)
    synthetic = serializers.BooleanField(
        source="is_synthetic", read_only=True, help_text="Computed from generated demo data."
    )

    class Meta:
        model = ZScore
        fields = [
            "id",
            "organisation",
            "indicator",
            "period",
            "numerator",
            "denominator",
            "value",
            "z",
            "z_adjusted",
            "upper",
            "limits_rebuilt",
            "run",
            "synthetic",
        ]


class TrajectorySerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.ods_code", read_only=True)
    indicator = serializers.CharField(source="indicator.code", read_only=True)

    class Meta:
        model = TrajectoryFit
        fields = [
            "id",
            "organisation",
            "indicator",
            "regime_group",
            "spell_entered",
            "spell_exited",
            "regimes",
            "method",
            "n",
            "n_change_points",
            "rho",
            "durbin_watson",
            "coefficients",
            "series",
            "confidential",
            "window_start",
            "window_end",
            "cadence",
            "synthetic",
            "run",
        ]


class PooledEffectSerializer(serializers.ModelSerializer):
    indicator = serializers.CharField(source="indicator.code", read_only=True)

    class Meta:
        model = PooledEffect
        fields = [
            "id",
            "indicator",
            "regime_group",
            "quantity",
            "n",
            "estimate",
            "se",
            "ci_low",
            "ci_high",
            "tau2",
            "i2",
            "fixed_estimate",
            "confidential",
            "cadence",
            "synthetic",
            "run",
        ]


class AlertSerializer(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.ods_code", read_only=True)
    indicator = serializers.CharField(source="indicator.code", read_only=True)

    class Meta:
        model = Alert
        fields = ["id", "organisation", "indicator", "period", "kind", "statistic", "threshold", "synthetic", "run"]


class ComputationRunSerializer(serializers.ModelSerializer):
    counts = serializers.SerializerMethodField(
        help_text="What the run wrote; without confidential access, only the rows you may see are counted."
    )

    class Meta:
        model = ComputationRun
        fields = [
            "id",
            "started",
            "finished",
            "status",
            "method_version",
            "parameters",
            "counts",
            "error",
            "problems",
            "triggered_by",
            "changes",
            "as_at",
        ]
        extra_kwargs = {
            "as_at": {
                "help_text": "For an as-at run (issue 15), the date it computed as at, from the data and episodes as "
                "they stood then; it is never the run served as current. Null for an ordinary run."
            },
            "changes": {
                "help_text": "Against the results this run replaced: {compared, new_alerts, variation_changes, "
                "alerts: [{organisation, indicator, period, kind, statistic}], "
                "variations: [{organisation, indicator, before, after}]} (first 200 of each)."
            },
        }

    def get_counts(self, run) -> dict:
        request = self.context.get("request")
        return permissions.visible_run_counts(getattr(request, "user", None), run.counts)


class SpcPointSerializer(serializers.Serializer):
    """One charted point of a trust's XmR chart with the chart's limits and icons (read only).

    The list answers exports.spc_point_rows' rows as they are; this declares their shape for the schema.
    """

    org_code = serializers.CharField()
    indicator = serializers.CharField()
    period = serializers.DateField()
    value = serializers.FloatField(allow_null=True)
    mean = serializers.FloatField(allow_null=True)
    lpl = serializers.FloatField(allow_null=True, help_text="Lower process limit.")
    upl = serializers.FloatField(allow_null=True, help_text="Upper process limit.")
    point_type = serializers.ChoiceField(choices=POINT_TYPES)
    variation = serializers.CharField(help_text="The chart's variation icon: the last point's point_type.")
    assurance = serializers.CharField(
        allow_blank=True, help_text="consistent_pass, consistent_fail, inconsistent or blank."
    )

    synthetic = serializers.BooleanField(help_text="Any charted value of the chart was synthetic.")

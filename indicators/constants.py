"""Choices for indicators, imports and computed results."""

from django.db import models


class IndicatorKind(models.TextChoices):
    PROPORTION = "proportion", "Proportion"
    RATIO = "ratio", "Ratio (observed / expected)"
    SCORE = "score", "Score"


class Cadence(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    ANNUAL = "annual", "Annual"


class Polarity(models.TextChoices):
    LOWER_IS_BETTER = "lower_is_better", "Lower is better"
    HIGHER_IS_BETTER = "higher_is_better", "Higher is better"
    NEUTRAL = "neutral", "Neither"


class ImportFormat(models.TextChoices):
    ORGANISATIONS = "organisations", "Organisations CSV"
    ODS_ETR = "ods_etr", "ODS etr extract"
    ODS_SUCCESSORS = "ods_successors", "ODS successor links (mergers)"
    INDICATORS = "indicators", "Indicators CSV"
    OBSERVATIONS = "observations", "Observations (long CSV)"
    EPISODES = "episodes", "Regime episodes CSV"
    AE_MONTHLY = "ae_monthly", "NHS England monthly A&E CSV"
    AE_ATTENDANCES = "ae_attendances", "A&E attendances 2016–2019 (NHS-R)"
    NOF_SEGMENTS = "nof_segments", "NHS Oversight Framework 2025/26 segments (league table)"
    SHMI = "shmi", "SHMI trust-level CSV (NHS Digital / HSCIC)"
    RTT = "rtt", "RTT incomplete pathways by provider"
    CANCER = "cancer", "Cancer waiting times by provider"
    STAFF_SURVEY = "staff_survey", "NHS Staff Survey organisational workbook (xlsx)"
    CQC_RATINGS = "cqc_ratings", "CQC ratings (dated)"
    SYNTHETIC = "synthetic", "Synthetic demo data"


class BatchStatus(models.TextChoices):
    QUEUED = "queued", "Queued"  # an upload stored and waiting for its import task
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    ABANDONED = "abandoned", "Abandoned"  # its process died before it finished (issue 11)


class RunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    ABANDONED = "abandoned", "Abandoned (killed)"


class EffectQuantity(models.TextChoices):
    PRE_SLOPE = "pre_slope", "Pre-intervention slope (against national)"
    LEVEL_CHANGE = "level_change", "Change due to intervention (level at entry)"
    SLOPE_CHANGE_DURING = "slope_change_during", "Change in slope during the intervention"
    SLOPE_CHANGE_AFTER = "slope_change_after", "Change in slope after exit"


class RegimeGroup(models.TextChoices):
    SMQ = "SMQ", "SMQ"
    CP = "CP", "CP"
    SMQ_CP = "SMQ+CP", "SMQ and CP"
    NOF4 = "NOF4", "NOF4 / RSP"
    SMF = "SMF", "SMF / FSM (finance)"
    IMP = "IMP", "Improvement programme"
    ALL = "ALL", "All regimes"


ED_4HR = "ed_4hr"
SHMI = "shmi"
RTT_18WK = "rtt_18wk"
RTT_52WK = "rtt_52wk"
CANCER_62D = "cancer_62d"
CANCER_FDS28 = "cancer_fds28"

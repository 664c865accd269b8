"""Choices and fixed vocabularies for organisations, regimes and episodes."""

from django.db import models


class OrganisationKind(models.TextChoices):
    ACUTE = "acute", "Acute"
    ACUTE_COMMUNITY = "acute_community", "Acute and community"
    MENTAL_HEALTH = "mental_health", "Mental health"
    MENTAL_HEALTH_COMMUNITY = "mental_health_community", "Mental health and community"
    COMMUNITY = "community", "Community"
    AMBULANCE = "ambulance", "Ambulance"
    ICB = "icb", "Integrated care board"
    OTHER = "other", "Other (not yet classified)"


class Sector(models.TextChoices):
    """What an organisation is, for lists and national values: NHS trusts by default, the rest a filter away."""

    NHS_TRUST = "nhs_trust", "NHS trust"
    ICB = "icb", "Integrated care board"
    OTHER = "other", "Other provider"


class AssignmentRole(models.TextChoices):
    """What a director's assignment is: to a trust (an ID), or to an ICB in the programme (a SID)."""

    IMPROVEMENT_DIRECTOR = "improvement_director", "Improvement director"
    SYSTEM_IMPROVEMENT_DIRECTOR = "system_improvement_director", "System improvement director"


class EpisodeRoute(models.TextChoices):
    # Blank: the record does not say (an import without a route column); analyses infer the
    # route from the dates and say so.
    NOT_RECORDED = "", "Not recorded"
    DIRECT = "direct", "Entered directly"
    ESCALATED_FROM_CP = "escalated_from_cp", "Escalated from CP"
    TRANSFERRED = "transferred", "Transferred (QSM/FSM to RSP)"
    RE_ENTRY = "re_entry", "Re-entry"
    # Read-only: what a caller without confidential access reads for `direct` and `escalated_from_cp`
    # (oversight.permissions.redact_episode); never stored (RegimeEpisode.clean refuses it).
    NOT_DISCLOSED = "not_disclosed", "Not disclosed"


class CriterionTheme(models.TextChoices):
    CULTURE = "culture", "Culture"
    LEADERSHIP = "leadership", "Leadership"
    GOVERNANCE = "governance", "Governance"
    ICB_OWNERSHIP = "icb_ownership", "ICB ownership"
    QUALITY_SAFETY = "quality_safety", "Quality and safety"
    OPERATIONS = "operations", "Operations"
    FINANCE = "finance", "Finance"
    WORKFORCE = "workforce", "Workforce"


class CriterionStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    IN_PROGRESS = "in_progress", "In progress"
    MET = "met", "Met"
    NOT_MET = "not_met", "Not met"
    WITHDRAWN = "withdrawn", "Withdrawn"


class CriterionDataStatus(models.TextChoices):
    """What the stored data says of a criterion linked to an indicator (beside the ID's own status)."""

    MET = "met", "Met (sustained)"
    MET_NOT_SUSTAINED = "met_not_sustained", "Met, not yet sustained"
    NOT_MET = "not_met", "Not met"
    NO_DATA = "no_data", "No data"


class Comparator(models.TextChoices):
    LE = "le", "≤"
    LT = "lt", "<"
    GE = "ge", "≥"
    GT = "gt", ">"


class FundingCategory(models.TextChoices):
    CARE_IMPROVEMENT = "care_improvement", "Care improvement"
    WORKFORCE_QUALITY_SAFETY = "workforce_quality_safety", "Workforce quality and safety"
    QI_TRAINING = "qi_training", "QI training"
    CULTURAL_CHANGE_TRAINING = "cultural_change_training", "Training on cultural change"
    GOVERNANCE_ASSURANCE = "governance_assurance", "Governance and assurance"


class LeadershipRating(models.TextChoices):
    PRESENT = "present", "Present"
    PARTIAL = "partial", "Partial"
    ABSENT = "absent", "Absent"
    UNKNOWN = "unknown", "Not yet assessed"


# NHS England region codes as ODS publishes them (shared/data/README.md).
REGIONS = {
    "Y56": "London",
    "Y58": "South West",
    "Y59": "South East",
    "Y60": "Midlands",
    "Y61": "East of England",
    "Y62": "North West",
    "Y63": "North East and Yorkshire",
}
REGION_CHOICES = sorted(REGIONS.items(), key=lambda item: item[1])

# The "Parent Org" column of the monthly A&E files names the region in words.
REGION_BY_PARENT_ORG = {f"NHS ENGLAND {name.upper()}": code for code, name in REGIONS.items()}


class RegimeFamily(models.TextChoices):
    """What a regime is: the analyses group regimes by family, never by code (a new regime is a row)."""

    QUALITY = "quality_special_measures", "Quality special measures"
    FINANCE = "finance_special_measures", "Finance special measures"
    WATCH_LIST = "watch_list", "Watch list"
    RECOVERY = "recovery_support", "Recovery support"
    IMPROVEMENT = "improvement_programme", "Improvement programme"


# The regime codes of the seeded taxonomy, for demo data and tests; analyses use RegimeFamily.
SMQ = "SMQ"
CP = "CP"
NOF4 = "NOF4"
PIP = "PIP"

# NHS Oversight Framework editions (FrameworkVersion codes) the code refers to by name.
NOF_2021 = "nof-2021"
NOF_2025_26 = "nof-2025-26"

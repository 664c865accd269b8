"""Forms for editing episode records. They only validate input: saving goes through trusts.services.

Edit forms carry the version the record was opened at (a hidden field), so a save based on a
stale copy is refused rather than overwriting someone else's change. They are plain Forms built
from the model's fields, not ModelForms: a ModelForm writes the input onto the record while
validating, and the services need the record as it was to tell what changed.
"""

from django import forms
from django.forms.models import fields_for_model

from .constants import CriterionStatus
from .models import DiagnosticStocktake, ExitCriterion, Organisation, RegimeEpisode, SupportFunding
from .services import CRITERION_EDITABLE_STATUSES, CRITERION_JUDGED_STATUSES, STOCKTAKE_FIELDS

# `<input type=date>` takes only YYYY-MM-DD: a date rendered in the locale's format (02/12/2026)
# is dropped by the browser, and saving the form unchanged would erase it.
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class TextField(forms.CharField):
    """Free text from a textarea: browsers send its line breaks as CRLF, so they are stored as the LF they were.

    Without this, saving a form unchanged would rewrite every multi-line text.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n") if isinstance(value, str) else value


def _text_fields(fields: dict) -> dict:
    for name, field in list(fields.items()):
        if isinstance(field, forms.CharField) and isinstance(field.widget, forms.Textarea):
            replacement = TextField(
                required=field.required,
                widget=field.widget,
                label=field.label,
                help_text=field.help_text,
                max_length=field.max_length,
            )
            fields[name] = replacement
    return fields


def _model_fields(model, names, **overrides) -> dict:
    fields = _text_fields(fields_for_model(model, fields=names))
    for field in fields.values():
        if isinstance(field, forms.DateField):
            field.widget = DATE_WIDGET
    fields.update(overrides)
    return fields


class VersionedForm(forms.Form):
    """The version the record was opened at, and why it changes."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = TextField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason for the change",
        help_text="Recorded in the audit trail.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.order_fields([name for name in self.fields if name not in ("version", "reason")] + ["reason", "version"])


def _versioned_form(name: str, model, names: list[str], **overrides) -> type:
    return type(name, (VersionedForm,), {**_model_fields(model, names, **overrides)})


StocktakeForm = _versioned_form(
    "StocktakeForm",
    DiagnosticStocktake,
    STOCKTAKE_FIELDS,
    completed_on=forms.DateField(required=False, widget=DATE_WIDGET),
)


class IndicatorChoiceMixin:
    """The criterion's indicator, chosen by name: the model reached through the criterion's own relation,
    so trusts names no indicators module (indicators sits above trusts)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        indicators = ExitCriterion._meta.get_field("indicator").related_model.objects
        self.fields["indicator"] = forms.ModelChoiceField(
            queryset=indicators.order_by("name"), required=False, empty_label="No indicator"
        )


CRITERION_TERMS = ["theme", "description", "indicator", "comparator", "threshold", "months_sustained"]


class CriterionCreateForm(IndicatorChoiceMixin, forms.Form):
    """Propose an exit criterion."""

    locals().update(_model_fields(ExitCriterion, [*CRITERION_TERMS, "evidence"]))


class CriterionEditForm(IndicatorChoiceMixin, VersionedForm):
    """Edit a criterion's terms, status and evidence; an approved criterion's terms change only with a reason."""

    locals().update(_model_fields(ExitCriterion, [*CRITERION_TERMS, "status", "evidence"]))

    def __init__(self, *args, criterion: ExitCriterion, **kwargs):
        super().__init__(*args, **kwargs)
        self.criterion = criterion
        allowed = set(CRITERION_EDITABLE_STATUSES)
        if not criterion.was_approved:
            allowed -= CRITERION_JUDGED_STATUSES  # judged only once approved by a second person
        allowed |= {criterion.status}
        self.fields["status"].choices = [(value, label) for value, label in CriterionStatus.choices if value in allowed]

    def clean(self):
        cleaned = super().clean()
        if self.criterion.approved_snapshot and not (cleaned.get("reason") or "").strip():
            terms = {name: cleaned.get(name) for name in CRITERION_TERMS if name in cleaned}
            changed = [
                name
                for name, value in terms.items()
                if _comparable(value) != _comparable(getattr(self.criterion, name))
            ]
            if changed:
                self.add_error("reason", "This criterion was approved: say why its terms are changing.")
        return cleaned


def _comparable(value):
    if value in ("", None):
        return None
    return value.pk if hasattr(value, "pk") else value


class ApproveForm(VersionedForm):
    """Approve (criterion or exit): the version, and a reason."""


class ApproveExitForm(VersionedForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].required = True
        self.fields["reason"].help_text = "Closing an episode needs a reason; it is recorded in the audit trail."


FundingSpendForm = _versioned_form("FundingSpendForm", SupportFunding, ["spent"])


class NoteForm(forms.Form):
    text = TextField(widget=forms.Textarea(attrs={"rows": 5}), label="Note")


class DecideEntryForm(VersionedForm):
    """Approve a proposed entry (the episode is created) or turn it down."""

    decision = forms.ChoiceField(
        choices=[("approve", "Approve: the trust enters the regime"), ("reject", "Turn it down")],
        widget=forms.RadioSelect,
    )


class ProposeExitForm(VersionedForm):
    exit_date = forms.DateField(widget=DATE_WIDGET, label="Proposed exit date")


class OrganisationCodeField(forms.CharField):
    """An organisation by its ODS code, so the form needs no list of every trust."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        organisation = Organisation.objects.filter(ods_code=value.strip().upper()).first()
        if organisation is None:
            raise forms.ValidationError(f"No organisation has the ODS code {value}.")
        return organisation


class EpisodeCreateForm(forms.Form):
    """Open an episode (oversight staff)."""

    organisation = OrganisationCodeField(max_length=6, label="Organisation (ODS code)")
    locals().update(_model_fields(RegimeEpisode, ["regime", "entered", "route", "reason", "notes"]))
    buddy_trust = OrganisationCodeField(max_length=6, required=False, label="Buddy trust (ODS code)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["entered"].widget = DATE_WIDGET

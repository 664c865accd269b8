"""Forms for an ICB's system programme: they validate input; trusts.system_programme decides and saves."""

from datetime import date

from django import forms

from .forms import DATE_WIDGET, TextField
from .models import Organisation
from .system_programme import director_candidates

REASON_HELP = "Recorded in the audit trail."


class SystemDirectorForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=None,
        label="System Improvement Director",
        help_text="An improvement director (the director role).",
        empty_label="Choose a director",
    )
    date_from = forms.DateField(label="From", widget=DATE_WIDGET, initial=date.today)
    reason = TextField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Reason", help_text=REASON_HELP)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any active user is offered by id so that a wrong choice is refused by the service, naming the field.
        from django.contrib.auth import get_user_model

        self.fields["user"].queryset = get_user_model().objects.filter(is_active=True).order_by("username")
        self.fields["user"].widget.choices = [("", "Choose a director")] + [
            (user.pk, user.get_full_name() or user.username) for user in director_candidates()
        ]


class SystemLinkForm(forms.Form):
    trust = forms.CharField(
        label="Trust (ODS code)", max_length=6, help_text="The trust's ODS code, e.g. RF4.", strip=True
    )
    outside_icb = forms.BooleanField(
        required=False,
        label="Outside this ICB deliberately",
        help_text="Tick to link a trust that sits in another ICB (say why in the note).",
    )
    note = forms.CharField(required=False, max_length=300, label="Note")
    reason = TextField(required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Reason", help_text=REASON_HELP)

    def clean_trust(self):
        code = self.cleaned_data["trust"].upper()
        trust = Organisation.objects.select_related("parent_icb").filter(ods_code=code).first()
        if trust is None:
            raise forms.ValidationError(f"No organisation has the ODS code {code!r}.")
        return trust


class SystemUnlinkForm(forms.Form):
    reason = TextField(widget=forms.Textarea(attrs={"rows": 2}), label="Reason", help_text=REASON_HELP)

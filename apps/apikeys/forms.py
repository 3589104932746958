from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from apps.accounts.models import User
from apps.apikeys.services import available_scopes
from apps.core.scopes import describe

EXPIRY_CHOICES = [
    ("30", _("30 days")),
    ("90", _("90 days")),
    ("365", _("1 year")),
    ("never", pgettext_lazy("expires", "Never")),
]


class APIKeyForm(forms.Form):
    name = forms.CharField(
        max_length=100,
        label=_("Name"),
        help_text=_("What the key is for, e.g. “backup script on my laptop”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scopes = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        label=_("Scopes"),
        help_text=_("Give the key only what its script needs."),
        error_messages={"required": _("Choose at least one scope.")},
    )
    expires_in = forms.ChoiceField(
        label=pgettext_lazy("date column", "Expires"), choices=EXPIRY_CHOICES, initial="90"
    )

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scopes"].choices = [
            (scope.name, _("%(label)s (%(name)s)") % {"label": scope.label, "name": scope.name})
            for scope in describe(available_scopes(user))
        ]

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Give the key a name."), code="required")
        return name

    def expires(self):
        days = self.cleaned_data["expires_in"]
        return None if days == "never" else timezone.now() + timedelta(days=int(days))

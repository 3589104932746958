from django import forms
from oauth2_provider.forms import AllowForm

from apps.core.scopes import CATALOGUE
from apps.oauth.models import Consent

SCOPE_CHOICES = [(name, scope.label) for name, scope in CATALOGUE.items()]


class ConsentForm(AllowForm):
    """DOT's allow/deny form plus the user's choices: which optional scopes, and for how long.

    Only `granted` says yes to a scope: a box the browser did not send (unticked, or left out
    of a doctored form) grants nothing.
    """

    granted = forms.MultipleChoiceField(required=False, choices=SCOPE_CHOICES)
    remember = forms.ChoiceField(required=False, choices=Consent.Remember.choices)

    def clean_remember(self) -> str:
        return self.cleaned_data["remember"] or Consent.Remember.FOREVER

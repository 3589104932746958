from django import forms
from django.utils.translation import gettext_lazy as _


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The developer or person reads this."),
    )


class SecondFactorResetForm(forms.Form):
    identity_checked = forms.BooleanField(
        label=_("I checked this person's identity another way (not only by email)"),
        error_messages={"required": _("Confirm that you checked who is asking.")},
    )
    note = forms.CharField(
        label=_("How you checked"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For instance: video call, ID document seen, ticket number."),
    )

from django import forms


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The developer or person reads this.",
    )


class SecondFactorResetForm(forms.Form):
    identity_checked = forms.BooleanField(
        label="I checked this person's identity another way (not only by email)",
        error_messages={"required": "Confirm that you checked who is asking."},
    )
    note = forms.CharField(
        label="How you checked",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For instance: video call, ID document seen, ticket number.",
    )

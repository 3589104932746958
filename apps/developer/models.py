from django.conf import settings
from django.db import models


class TokenCount(models.Model):
    """How many access tokens DOT issued to an application on one day (UTC).

    DOT deletes an access token when it is revoked or refreshed, and `cleartokens` deletes the
    rest, so its tables cannot say how many were issued last week: the usage chart reads this.
    """

    application = models.ForeignKey(
        settings.OAUTH2_PROVIDER_APPLICATION_MODEL, on_delete=models.CASCADE, related_name="token_counts"
    )
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)
    last_issued = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["application", "day"], name="one_token_count_per_app_day")
        ]
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.application_id} {self.day}: {self.count}"

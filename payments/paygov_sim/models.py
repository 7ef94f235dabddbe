"""The simulated bank's own records: what the gateway knows, independent of the portal's payments."""

from django.db import models


class SimTransaction(models.Model):
    reference = models.CharField(max_length=32, unique=True)  # the portal's payment reference
    amount_vnd = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3, default="VND")
    bank_code = models.CharField(max_length=20, blank=True)
    result_code = models.CharField(max_length=8, blank=True)  # "" until the payer chose an outcome
    transaction_no = models.CharField(max_length=32, unique=True)
    return_url = models.CharField(max_length=500)
    refunded_vnd = models.PositiveBigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notify_answer = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.reference} {self.result_code or 'open'}"

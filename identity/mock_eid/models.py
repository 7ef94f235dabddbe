"""The mock provider's own state: authorization codes and access tokens.

Only SHA-256 digests of codes and tokens are stored (RFC 6819 §5.1.4.1.3): a
copy of these tables is not a set of usable credentials. The person is kept by
personal ID number only; identity data is read from the registry when a token
is issued, as a real provider reads its own population database.

Rows are short-lived (a code lives 2 minutes, a token 5) and are purged a day
after they expire (services.expired_grants_purge); the day of grace keeps a
used code around long enough to recognise a replay.
"""

from django.db import models


class AuthorizationCode(models.Model):
    code_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=200)
    redirect_uri = models.TextField()
    personal_id = models.CharField(max_length=12)
    eid_level = models.PositiveSmallIntegerField()
    scope = models.CharField(max_length=500)
    nonce = models.CharField(max_length=500, blank=True)
    # PKCE (RFC 7636): only S256 is accepted, so the method is not stored.
    code_challenge = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    # Set once, by one conditional UPDATE: that is what makes the code single use.
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "authorization code"

    def __str__(self) -> str:
        return f"code for {self.client_id} ({self.personal_id})"


class AccessToken(models.Model):
    token_hash = models.CharField(max_length=64, unique=True)
    # Kept so that a replayed code revokes what it was exchanged for (RFC 6749 §4.1.2).
    authorization_code = models.ForeignKey(AuthorizationCode, on_delete=models.CASCADE, related_name="access_tokens")
    client_id = models.CharField(max_length=200)
    personal_id = models.CharField(max_length=12)
    eid_level = models.PositiveSmallIntegerField()
    scope = models.CharField(max_length=500)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        verbose_name = "access token"

    def __str__(self) -> str:
        return f"access token for {self.client_id} ({self.personal_id})"

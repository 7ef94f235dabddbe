"""The contract between the portal and an SMS gateway.

The portal sends short texts (one-time codes, case updates) to a phone number
and needs to know only whether the gateway took the message. Every gateway
raises ``SmsError`` when it did not, so a caller never mistakes "not sent" for
"sent".
"""

from abc import ABC, abstractmethod


class SmsError(Exception):
    """The gateway did not accept the message (unreachable, refused, misconfigured)."""


class SmsGateway(ABC):
    @abstractmethod
    def send(self, phone: str, text: str) -> str:
        """Hand one message to the gateway; return the gateway's message id.

        ``phone`` is a Vietnamese number in national form (e.g. 0901234567).
        Raises ``SmsError`` when the message was not accepted.
        """

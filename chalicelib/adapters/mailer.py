"""SES v2 mailer: sends an email (`views.emails.Email`, or anything shaped
as `mime.Email`) as raw MIME built by `adapters/mime.py`, so both parts and
every header (Message-ID, Reply-To, Auto-Submitted) reach the recipient."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from .aws import client
from .mime import Email, to_mime


class MailerError(Exception):
    """SES surely did not take the message: sending it again is safe."""


class MailerUncertain(Exception):
    """The request reached SES but its answer was lost: the message may have
    gone out, so sending it again could send it twice."""


class Unsendable(Exception):
    """The message cannot be put into MIME at all (mime.HeaderRefused, say);
    retrying will not help."""


class SesMailer:
    def __init__(self, sender: str, sender_name: str, reply_to: str, configuration_set: str | None = None) -> None:
        self._sender = sender
        self._sender_name = sender_name
        self._reply_to = reply_to
        self._configuration_set = configuration_set

    def send(
        self, email: Email, *, message_id: str, date: datetime, attachments: Sequence[tuple[str, str, bytes]] = ()
    ) -> str:
        """Hand the message to SES once (its client never retries by itself);
        its SES message id, or MailerError / MailerUncertain / Unsendable."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        try:
            raw = to_mime(
                email,
                sender=self._sender,
                sender_name=self._sender_name,
                reply_to=self._reply_to,
                message_id=message_id,
                date=date,
                attachments=attachments,
            )
        except (ValueError, TypeError) as error:
            raise Unsendable(str(error)) from error
        try:
            # Destination is the envelope: SES delivers to these addresses, whatever the headers say.
            answer = client("sesv2").send_email(
                FromEmailAddress=self._sender,
                Destination={"ToAddresses": [email.to_address]} | ({"CcAddresses": list(email.cc)} if email.cc else {}),
                Content={"Raw": {"Data": raw}},
                **({"ConfigurationSetName": self._configuration_set} if self._configuration_set else {}),
            )
        except (ClientError, EndpointConnectionError, ConnectTimeoutError) as error:
            raise MailerError(str(error)) from error  # refused, or never reached SES
        except (ReadTimeoutError, ConnectionClosedError) as error:
            raise MailerUncertain(str(error)) from error
        except BotoCoreError as error:
            raise MailerError(str(error)) from error
        ses_id: str = answer["MessageId"]
        return ses_id

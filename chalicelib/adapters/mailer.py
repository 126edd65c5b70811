"""SES v2 mailer: sends an email (`views.emails.Email`, or anything shaped
as `Email` below) as raw MIME, so both parts and every header (Message-ID,
Reply-To, Auto-Submitted) reach the recipient."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Protocol

from .aws import client


class Email(Protocol):
    """What the mailer sends: the views compose it."""

    @property
    def to_address(self) -> str: ...
    @property
    def to_name(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def html(self) -> str: ...
    @property
    def headers(self) -> dict[str, str]: ...
    @property
    def cc(self) -> Sequence[Address]: ...


class MailerError(Exception):
    """SES surely did not take the message: sending it again is safe."""


class MailerUncertain(Exception):
    """The request reached SES but its answer was lost: the message may have
    gone out, so sending it again could send it twice."""


class Unsendable(Exception):
    """The message cannot be put into MIME at all; retrying will not help."""


def to_mime(
    email: Email,
    *,
    sender: str,
    sender_name: str,
    reply_to: str,
    message_id: str,
    date: datetime,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> bytes:
    """The message as SES sends it; `attachments`: (file name, content type, bytes)."""
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(sender_name, addr_spec=sender)
    message["To"] = Address(email.to_name, addr_spec=email.to_address)
    if email.cc:
        message["Cc"] = tuple(email.cc)  # Address objects: the header registry writes and checks them
    message["Reply-To"] = reply_to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    for name, value in email.headers.items():
        message[name] = value
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    for name, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        if maintype == "message":  # a forwarded email travels as a file, not as a nested message
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


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
                Destination={"ToAddresses": [email.to_address]}
                | ({"CcAddresses": [a.addr_spec for a in email.cc]} if email.cc else {}),
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

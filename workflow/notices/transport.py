"""How a notice leaves Crier: an e-mail through the SMTP server, or a POST to the team webhook.

Each sender calls ``hand_over()`` just before it gives the notice itself away
(the SMTP DATA command; the webhook POST), and classifies what went wrong:
``transient`` (nothing was taken: try again later), ``permanent`` (refused:
do not try again) or ``unknown`` (handed over, then no answer: it may have
arrived, so it is not sent again).
"""
from __future__ import annotations

import dataclasses
import smtplib
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

import requests

from workflow.core.config import Settings

#: The longest error text kept on a notice.
MAX_ERROR = 500


class NoticeSendError(Exception):
    """A notice could not be sent; ``kind`` is transient, permanent or unknown."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind
        self.message = message[:MAX_ERROR]


@dataclasses.dataclass(frozen=True)
class Outgoing:
    """What a sender needs of one notice."""

    id: int
    channel: str
    address: str | None
    subject: str
    body: str
    link: str


def message_id(notice_id: int, mail_from: str) -> str:
    """The Message-ID of a notice's e-mail: the same on every attempt, so a resend is recognisable."""
    domain = mail_from.rsplit("@", 1)[-1] or "crier.invalid"
    return f"<crier-notice-{notice_id}@{domain}>"


def email_of(settings: Settings, notice: Outgoing) -> EmailMessage:
    """The e-mail of a notice."""
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = notice.address or ""
    mail["Subject"] = notice.subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id(notice.id, settings.mail_from)
    mail["X-Crier-Notice"] = str(notice.id)
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(notice.body + "\n")
    return mail


def _smtp_error(code: int, reply: bytes | str, handed_over: bool) -> NoticeSendError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    if 400 <= code < 500:
        return NoticeSendError("transient", f"the mail server said {code} {text}")
    if 500 <= code < 600:
        return NoticeSendError("permanent", f"the mail server refused it: {code} {text}")
    return NoticeSendError("unknown" if handed_over else "transient", f"the mail server answered {code} {text}")


def _connect(settings: Settings) -> smtplib.SMTP:
    parts = urlsplit(settings.smtp_url)
    timeout = settings.connect_timeout + settings.read_timeout
    if parts.scheme == "smtps":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(parts.hostname or "", parts.port or 465, timeout=timeout,
                                              context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(parts.hostname or "", parts.port or 25, timeout=timeout)
    smtp.ehlo()
    if settings.smtp_starttls and parts.scheme == "smtp":
        smtp.starttls(context=ssl.create_default_context())
        smtp.ehlo()
    if parts.username:
        smtp.login(unquote(parts.username), unquote(parts.password or ""))
    return smtp


def send_email(settings: Settings, notice: Outgoing, hand_over: Callable[[], None]) -> None:
    """Send a notice's e-mail; ``hand_over`` is called between RCPT and DATA."""
    if not notice.address:
        raise NoticeSendError("permanent", "the recipient has no e-mail address")
    mail = email_of(settings, notice)
    handed_over = False
    try:
        smtp = _connect(settings)
        try:
            code, reply = smtp.mail(settings.mail_from)
            if code != 250:
                raise _smtp_error(code, reply, False)
            code, reply = smtp.rcpt(notice.address)
            if code not in (250, 251):
                raise _smtp_error(code, reply, False)
            hand_over()
            handed_over = True
            code, reply = smtp.data(mail.as_bytes())
            if code != 250:
                raise _smtp_error(code, reply, True)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()
    except smtplib.SMTPAuthenticationError as exc:
        raise NoticeSendError("permanent", f"the mail server refused Crier's sign-in ({exc.smtp_code})") from None
    except smtplib.SMTPResponseException as exc:
        raise _smtp_error(exc.smtp_code, exc.smtp_error, handed_over) from None
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        kind = "unknown" if handed_over else "transient"
        raise NoticeSendError(kind, f"the mail server could not be reached or stopped answering "
                                    f"({type(exc).__name__}: {exc})") from None


def webhook_text(notice: Outgoing) -> str:
    """The ``text`` of the webhook body: the subject, then the notice."""
    return f"{notice.subject}\n{notice.body}"


def send_webhook(settings: Settings, notice: Outgoing, hand_over: Callable[[], None]) -> None:
    """POST ``{"text": ...}`` to the team webhook (the shape Slack and Teams incoming webhooks take)."""
    url = settings.notify_webhook_url
    if not url:
        raise NoticeSendError("permanent", "no team webhook is set (CRIER_NOTIFY_WEBHOOK_URL)")
    hand_over()
    try:
        response = requests.post(url, json={"text": webhook_text(notice)}, allow_redirects=False,
                                 headers={"X-Crier-Notice": str(notice.id)},
                                 timeout=(settings.connect_timeout, settings.read_timeout))
    except requests.exceptions.ConnectTimeout:
        raise NoticeSendError("transient", "the team webhook did not accept a connection in time") from None
    except requests.exceptions.ReadTimeout:
        raise NoticeSendError("unknown", "the team webhook took the notice and did not answer in time") from None
    except requests.exceptions.ConnectionError as exc:
        # Refused or unreachable before anything was sent, or cut off after: only the first is safe to resend.
        cause = repr(exc)
        sent = not any(word in cause for word in ("NewConnectionError", "NameResolutionError",
                                                  "Connection refused", "Failed to resolve"))
        raise NoticeSendError("unknown" if sent else "transient",
                              f"the team webhook could not be reached ({type(exc).__name__})") from None
    except requests.exceptions.RequestException as exc:
        raise NoticeSendError("transient", f"the team webhook could not be called ({type(exc).__name__})") from None
    if 200 <= response.status_code < 300:
        return
    if response.status_code == 429 or response.status_code >= 500:
        raise NoticeSendError("transient", f"the team webhook answered {response.status_code}")
    raise NoticeSendError("permanent", f"the team webhook refused the notice: {response.status_code} "
                                       f"{response.text[:200]}")


SENDERS = {"email": send_email, "webhook": send_webhook}

"""Email over SMTP with the standard library: one plain-text message per batch to the configured recipients.

STARTTLS (on by default) upgrades the connection before AUTH, so a password never crosses in clear; a
server that does not offer it is refused rather than fallen back from. SMTP's own classes decide retries:
4xx replies and dropped connections are tried again, 5xx replies (bad login, refused address) are not.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from alphamoe.alerts.channels.base import RefusedError, UnreachableError, scrub
from alphamoe.alerts.config import ChannelName, EmailSettings
from alphamoe.alerts.model import Alert
from alphamoe.alerts.render import Style, fit, headline
from alphamoe.errors import ConfigurationError

MAX_CHARS = 200_000


def render(alerts: Sequence[Alert], sender: str, recipients: Sequence[str]) -> EmailMessage:
    """Return the message of a batch: the headline as subject, every alert as plain text."""
    message = EmailMessage()
    message["Subject"] = f"[alphamoe] {headline(alerts)}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    message.set_content(fit(alerts, Style.PLAIN, MAX_CHARS) + "\n")
    return message


class EmailChannel:
    name = ChannelName.EMAIL

    def __init__(self, settings: EmailSettings, *, tls: ssl.SSLContext | None = None) -> None:
        if not settings.host or not settings.sender or not settings.recipients:
            raise ConfigurationError("email needs ALPHAMOE_ALERTS__EMAIL__HOST, __SENDER and __RECIPIENTS")
        self.settings, self.host, self.sender = settings, settings.host, settings.sender
        self.tls = tls or ssl.create_default_context()

    def send(self, alerts: Sequence[Alert]) -> None:
        s = self.settings
        where = f"SMTP {self.host}:{s.port}"
        try:
            with smtplib.SMTP(self.host, s.port, timeout=s.timeout_s) as smtp:
                smtp.ehlo()
                if s.starttls:
                    smtp.starttls(context=self.tls)
                    smtp.ehlo()
                if s.username:
                    smtp.login(s.username, s.password.get_secret_value() if s.password else "")
                smtp.send_message(render(alerts, self.sender, s.recipients))
        except smtplib.SMTPNotSupportedError as exc:
            raise RefusedError(
                f"{where}: {scrub(str(exc), [s.password])} "
                "(set ALPHAMOE_ALERTS__EMAIL__STARTTLS=false only for a local relay)"
            ) from None
        except smtplib.SMTPRecipientsRefused as exc:
            raise RefusedError(f"{where} refused every recipient: {sorted(exc.recipients)}") from None
        except smtplib.SMTPResponseException as exc:
            text = scrub(
                exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error),
                [s.password],
            )
            error = UnreachableError if 400 <= exc.smtp_code < 500 else RefusedError
            raise error(f"{where} answered {exc.smtp_code} {text}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise UnreachableError(
                f"{where} unreachable: {type(exc).__name__} {scrub(str(exc), [s.password])}"
            ) from None

    def close(self) -> None:
        """Nothing to close: each batch opens its own connection (a few a minute at most)."""

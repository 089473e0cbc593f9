"""Sending a quote to the customer by e-mail (C5).

The mail goes through the organisation's own mail server when its sales settings name
one (SalesSettings.smtp_*), otherwise through the installation's EMAIL_* settings. The
quote travels as a PDF attachment when WeasyPrint is available, else as the HTML of
the print view. Only a mail the server accepted marks the quote sent and adds an
"e-mail sent" contact record to the customer's timeline.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.exceptions import DomainError
from guanxi.core.scoping import org_scope
from guanxi.sales.documents_services import QUOTE_EDITABLE, DocumentRefused, mark_quote_sent
from guanxi.sales.models import Quote
from guanxi.sales.pdf import document_html, pdf_available, render_pdf
from guanxi.sales.settings_services import sales_settings

logger = logging.getLogger("guanxi.sales")

SMTP_TIMEOUT = 20


class MailFailed(DomainError):
    """The mail server did not take the message."""

    status_code = 502
    code = "mail_failed"


@dataclass(frozen=True)
class MailSettings:
    """Where mail of an organisation goes: its own server, or the installation's."""

    own_server: bool
    host: str
    port: int
    from_email: str


def mail_settings(org: Any) -> MailSettings:
    row = sales_settings(org)
    if row.smtp_host:
        return MailSettings(
            True, row.smtp_host, row.smtp_port, row.smtp_from or settings.DEFAULT_FROM_EMAIL
        )
    return MailSettings(
        False,
        getattr(settings, "EMAIL_HOST", ""),
        int(getattr(settings, "EMAIL_PORT", 25)),
        row.smtp_from or settings.DEFAULT_FROM_EMAIL,
    )


def smtp_connection(org: Any) -> Any:
    """A mail connection: the organisation's SMTP server if set, else the installation's."""
    row = sales_settings(org)
    if row.smtp_host:
        return get_connection(
            "django.core.mail.backends.smtp.EmailBackend",
            host=row.smtp_host,
            port=row.smtp_port,
            username=row.smtp_username or None,
            password=row.smtp_password or None,
            use_tls=row.smtp_use_tls,
            timeout=SMTP_TIMEOUT,
            fail_silently=False,
        )
    return get_connection(fail_silently=False)


def default_subject(quote: Quote) -> str:
    org_name = quote.org.name if quote.org_id else ""
    return _("Quote %(number)s from %(org)s") % {"number": quote.number, "org": org_name}


def default_message(quote: Quote, sender: Any) -> str:
    contact = quote.contact
    greeting = _("Dear %(name)s,") % {"name": contact.name} if contact is not None else _("Hello,")
    lines = [
        greeting,
        "",
        _("please find attached our quote %(number)s, total %(total)s, valid until %(date)s.")
        % {
            "number": quote.number,
            "total": f"{quote.total:,.2f}",
            "date": quote.valid_until.isoformat() if quote.valid_until else "—",
        },
        "",
        _("Kind regards,"),
        str(getattr(sender, "display_name", "") or getattr(sender, "username", "") or ""),
    ]
    return "\n".join(lines)


def _addresses(values: Iterable[str], field: str) -> list[str]:
    found: list[str] = []
    errors: list[str] = []
    for raw in values:
        address = (raw or "").strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            errors.append(_("“%(address)s” is not an e-mail address.") % {"address": address})
            continue
        found.append(address)
    if errors:
        raise ValidationError({field: errors})
    return found


def split_addresses(text: str) -> list[str]:
    return [part for part in text.replace(";", ",").replace("，", ",").split(",") if part.strip()]


def send_quote(
    membership: Any,
    *,
    quote: Quote,
    to: Iterable[str],
    cc: Iterable[str] = (),
    subject: str = "",
    message: str = "",
    attach: str = "pdf",
) -> Quote:
    """E-mail the quote with its PDF (or HTML) attached; then mark it sent and record an
    "e-mail sent" contact record on the customer's timeline.

    Raise ValidationError (no or bad recipients), DocumentRefused (a rejected or converted
    quote), MailFailed (the server refused or could not be reached; nothing recorded).
    """
    recipients = _addresses(to, "to")
    if not recipients:
        raise ValidationError({"to": [_("Enter the recipient's e-mail address.")]})
    copies = _addresses(cc, "cc")
    with org_scope(quote.org_id):
        if quote.status not in (*QUOTE_EDITABLE, Quote.Status.ACCEPTED):
            raise DocumentRefused(_("This quote can no longer be sent."))
        subject = (subject or "").strip()[:200] or default_subject(quote)
        body = (message or "").strip() or default_message(quote, membership.user)
        html = document_html(quote)
        if attach == "pdf" and pdf_available():
            attachment = (f"{quote.number}.pdf", render_pdf(html), "application/pdf")
        else:
            attachment = (f"{quote.number}.html", html.encode("utf-8"), "text/html")
        sender = mail_settings(quote.org_id).from_email
        reply_to = [membership.user.email] if getattr(membership.user, "email", "") else []
        mail = EmailMessage(
            subject=subject,
            body=body,
            from_email=sender,
            to=recipients,
            cc=copies,
            reply_to=reply_to,
            connection=smtp_connection(quote.org_id),
        )
        mail.attach(*attachment)
        try:
            mail.send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as error:
            logger.warning("Sending quote %s failed: %s", quote.number, error)
            raise MailFailed(
                _("The mail server did not accept the message: %(error)s") % {"error": error}
            ) from error
        return _record_sent(membership, quote, recipients, subject)


@transaction.atomic
def _record_sent(membership: Any, quote: Quote, recipients: list[str], subject: str) -> Quote:
    from guanxi.activities.models import Activity
    from guanxi.activities.services import create_activity

    quote = mark_quote_sent(membership, quote=quote)
    try:
        create_activity(
            org=membership.org,
            actor=membership.user,
            data={
                "kind": Activity.Kind.CONTACT_RECORD,
                "subject": (_("Quote %(number)s sent by e-mail") % {"number": quote.number})[:200],
                "body": _("To: %(to)s\nSubject: %(subject)s")
                % {"to": ", ".join(recipients), "subject": subject},
                "party": quote.party_id,
                "contact": quote.contact_id,
                "channel": Activity.Channel.EMAIL,
                "direction": Activity.Direction.OUTBOUND,
                "start_at": timezone.now(),
            },
        )
    except ValidationError as error:  # the mail went out: keep the sent state regardless
        logger.warning("Could not record the sent quote %s: %s", quote.number, error)
    return quote

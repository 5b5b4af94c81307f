"""Sending email through the SMTP server of ``[notification]``.

With ``smtp_security`` ``starttls`` or ``ssl`` the server's certificate and
host name are verified against ``smtp_ca_file`` (or the system's CAs). The
password is only ever handed to :meth:`smtplib.SMTP.login`; it is never
logged nor put into an error message.
"""

from email.message import EmailMessage
import smtplib
import ssl

from oslo_log import log as logging

from staffeln.common import exception

LOG = logging.getLogger(__name__)

SECURITY_NONE = 'none'
SECURITY_STARTTLS = 'starttls'
SECURITY_SSL = 'ssl'


class EmailError(exception.StaffelnException):
    """A message could not be handed over to the SMTP server."""


def smtp_port(conf) -> int:
    """The configured port, or the usual one for the security mode."""
    group = conf.notification
    if group.smtp_port:
        return group.smtp_port
    return 465 if group.smtp_security == SECURITY_SSL else 25


def ssl_context(conf) -> ssl.SSLContext:
    """A client context that verifies the server's certificate and name."""
    try:
        return ssl.create_default_context(
            cafile=conf.notification.smtp_ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise EmailError(
            f'cannot load [notification] smtp_ca_file '
            f'{conf.notification.smtp_ca_file}: {exc}') from exc


def send(conf, message: EmailMessage, recipients: list[str]) -> dict:
    """Send ``message`` from ``[notification] sender`` to ``recipients``.

    :returns: the recipients the server refused, with its answers (the
        others got the message).
    :raises EmailError: when the message could not be sent to anyone.
    """
    group = conf.notification
    host = group.smtp_host
    port = smtp_port(conf)
    security = group.smtp_security
    timeout = group.smtp_timeout.total_seconds()
    where = f'{host}:{port}'
    context = ssl_context(conf) if security != SECURITY_NONE else None
    if group.smtp_user and security == SECURITY_NONE:
        LOG.warning('Logging in to SMTP server %s without TLS: the password '
                    'crosses the network in clear text. Set [notification] '
                    'smtp_security to starttls or ssl.', where)
    try:
        if security == SECURITY_SSL:
            client = smtplib.SMTP_SSL(host, port, local_hostname=conf.host,
                                      timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(host, port, local_hostname=conf.host,
                                  timeout=timeout)
        with client:
            client.ehlo()
            if security == SECURITY_STARTTLS:
                if not client.has_extn('starttls'):
                    raise EmailError(
                        f'SMTP server {where} does not offer STARTTLS')
                client.starttls(context=context)
                client.ehlo()
            if group.smtp_user:
                client.login(group.smtp_user, group.smtp_password or '')
            refused = client.send_message(
                message, from_addr=group.sender, to_addrs=recipients)
    except smtplib.SMTPAuthenticationError as exc:
        raise EmailError(
            f'SMTP server {where} refused the login of '
            f'{group.smtp_user}: {exc.smtp_code} {_text(exc.smtp_error)}'
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise EmailError(
            f'SMTP server {where} refused every recipient: '
            f'{_refusals(exc.recipients)}') from exc
    except smtplib.SMTPResponseException as exc:
        raise EmailError(
            f'SMTP server {where} answered {exc.smtp_code} '
            f'{_text(exc.smtp_error)}') from exc
    except (smtplib.SMTPException, OSError) as exc:
        # OSError covers refused connections, timeouts and TLS failures
        # such as a certificate that does not verify.
        raise EmailError(
            f'cannot send through SMTP server {where}: {exc}') from exc
    if refused:
        LOG.warning('SMTP server %s refused some recipients: %s', where,
                    _refusals(refused))
    return refused


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    return str(value)


def _refusals(refused: dict) -> str:
    return ', '.join(f'{address} ({code} {_text(answer)})'
                     for address, (code, answer) in sorted(refused.items()))

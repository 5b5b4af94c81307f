"""Setting and removing a project's webhook, checked before it is written.

Operators (``staffeln-manage webhook``) and the project's members (the
REST API) go through the same checks: an http or https URL with a host,
a secret of at most 255 characters, known events and body format.
"""

import datetime
import urllib.parse

from staffeln.common import exception
from staffeln.common import text
from staffeln.conf import webhook as webhook_conf
from staffeln.db import api_webhooks

MAX_URL = 2048
MAX_SECRET = 255
EVENTS = tuple(name for name, _ in webhook_conf.EVENTS)
BODY_FORMATS = tuple(name for name, _ in webhook_conf.BODY_FORMATS)
DEFAULT_EVENTS = 'failures'
DEFAULT_BODY_FORMAT = 'json'


def check_url(url) -> str:
    """``url``, if it is an http or https URL with a host."""
    if not isinstance(url, str) or not url:
        raise exception.InvalidInput('url must be an http or https URL')
    try:
        split = urllib.parse.urlsplit(url)
        scheme, host = split.scheme, split.hostname
        split.port    # a port that is not a number raises
    except ValueError:
        scheme = host = None
    if (scheme not in ('http', 'https') or not host
            or len(url) > MAX_URL or not url.isprintable()
            or any(c.isspace() for c in url)):
        raise exception.InvalidInput(
            f'url must be an http or https URL with a host, of at most '
            f'{MAX_URL} characters, not {text.quote(url)}')
    return url


def _check_choice(value, name: str, choices: tuple) -> str:
    if value not in choices:
        raise exception.InvalidInput(
            f'{name} must be one of {", ".join(choices)}')
    return value


def _check_secret(secret) -> str | None:
    if secret is None or secret == '':
        return None
    if (not isinstance(secret, str) or len(secret) > MAX_SECRET
            or not secret.isprintable()):
        raise exception.InvalidInput(
            f'secret must be text of at most {MAX_SECRET} printable '
            f'characters, or null for unsigned bodies')
    return secret


def set_project_webhook(context, project_id: str, now: datetime.datetime,
                        **changes) -> api_webhooks.Hook:
    """Create the project's webhook or change it; returns it as stored.

    ``changes`` holds any of ``url``, ``secret`` (None: unsigned),
    ``events`` and ``body_format``; what is not given is kept, or takes
    its default when the webhook is created, which needs ``url``.
    """
    current = api_webhooks.get_project_webhook(context, project_id)
    if current is None and 'url' not in changes:
        raise exception.InvalidInput(
            f'project {project_id} has no webhook yet: give its url')
    url = check_url(changes['url'] if 'url' in changes else current.url)
    secret = (_check_secret(changes['secret']) if 'secret' in changes
              else current and current.secret)
    events = _check_choice(changes.get(
        'events', current.events if current else DEFAULT_EVENTS),
        'events', EVENTS)
    body_format = _check_choice(changes.get(
        'body_format',
        current.body_format if current else DEFAULT_BODY_FORMAT),
        'body_format', BODY_FORMATS)
    api_webhooks.set_project_webhook(context, project_id, url, secret,
                                     events, body_format, now)
    return api_webhooks.get_project_webhook(context, project_id)


def remove_project_webhook(context, project_id: str) -> bool:
    """Remove the project's webhook; False when it had none."""
    return api_webhooks.delete_project_webhook(context, project_id)

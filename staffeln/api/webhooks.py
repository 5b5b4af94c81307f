"""``/v1/projects/{project_id}/webhook``: where a project's events go.

The webhook a project's members set for themselves, beside the digest
(operators set any project's with ``staffeln-manage webhook``, and the
global one in ``[webhook]``, which this resource never shows). Like the
settings, it is read with GET and changed with PATCH: ``url``, ``secret``
(``null``: unsigned), ``events``, ``body_format``; ``{"url": null}``
removes it. The secret is never shown, only whether bodies are
``signed``; the URL, which may carry a token of its own (a Slack
webhook's does), is shown whole only to those who may change it, and as
its scheme and host to the project's readers. The rules are in
:mod:`staffeln.policies.webhooks`; the checks in
:mod:`staffeln.actions.webhooks`.
"""

import urllib.parse

import flask

from staffeln.actions import webhooks as webhook_actions
from staffeln.api import errors
from staffeln.api import projects
from staffeln.api import resource
from staffeln.db import api_webhooks
from staffeln.policies import webhooks as rules

bp = flask.Blueprint('webhooks', __name__)

_FIELDS = ('url', 'secret', 'events', 'body_format')


def _shown_url(url: str) -> str:
    split = urllib.parse.urlsplit(url)
    host = split.hostname or ''
    if ':' in host:
        host = f'[{host}]'
    port = f':{split.port}' if split.port else ''
    return f'{split.scheme}://{host}{port}/...'


def _view(ctx, project_id: str) -> dict:
    hook = api_webhooks.get_project_webhook(ctx, project_id)
    view = {'project_id': project_id, 'url': None, 'signed': False,
            'events': None, 'body_format': None, 'last_sent_at': None,
            'last_attempt_at': None, 'failures': 0, 'last_error': None}
    if hook is None:
        return view
    whole = resource.allowed(rules.UPDATE, {'project_id': project_id}, ctx)
    url = hook.url if whole else _shown_url(hook.url)
    view.update(url=url, signed=bool(hook.secret), events=hook.events,
                body_format=hook.body_format)
    delivery = api_webhooks.get_delivery(
        ctx, api_webhooks.project_target(project_id))
    if delivery is not None:
        error = delivery.last_error
        view.update(last_sent_at=resource.iso(delivery.last_sent_at),
                    last_attempt_at=resource.iso(delivery.last_attempt_at),
                    failures=delivery.failures,
                    last_error=error and error.replace(hook.url, url))
    return view


@bp.get('/v1/projects/<project_id>/webhook')
def get_webhook(project_id: str):
    ctx = resource.context()
    project_id = projects.check_project(project_id)
    resource.authorize(rules.GET, {'project_id': project_id}, ctx)
    return flask.jsonify({'webhook': _view(ctx, project_id)})


@bp.patch('/v1/projects/<project_id>/webhook')
def update_webhook(project_id: str):
    """Set or change any of the fields; ``{"url": null}`` removes it."""
    ctx = resource.context()
    project_id = projects.check_project(project_id)
    resource.authorize(rules.UPDATE, {'project_id': project_id}, ctx)
    body = resource.json_body(_FIELDS)
    if not body:
        raise errors.BadRequest(
            f'nothing to change: give {", ".join(_FIELDS)}')
    if 'url' in body and body['url'] is None:
        if len(body) > 1:
            raise errors.BadRequest('url null removes the webhook: give no '
                                    'other field with it')
        webhook_actions.remove_project_webhook(ctx, project_id)
    else:
        webhook_actions.set_project_webhook(ctx, project_id,
                                            resource.now(), **body)
    return flask.jsonify({'webhook': _view(ctx, project_id)})

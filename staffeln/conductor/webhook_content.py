"""What a webhook POSTs: the body (JSON or Slack-compatible) and headers.

The content is the database's part of the digest
(:func:`staffeln.conductor.report_content.collect`) of each project the
webhook covers: backups made, failures, volumes out of policy.
"""

import dataclasses
import datetime
import hashlib
import hmac
import json

from staffeln.conductor import report_content
from staffeln.db import api_reports

SIGNATURE_HEADER = 'X-Staffeln-Signature'
DELIVERY_HEADER = 'X-Staffeln-Delivery'
EVENT = 'staffeln.backup.cycle'


@dataclasses.dataclass(frozen=True)
class Hook:
    """A webhook: the global one (project_id None) or a project's."""

    target: str
    url: str
    secret: str | None
    events: str
    body_format: str
    project_id: str | None = None


@dataclasses.dataclass
class Delivery:
    """One POST to make, with its retries."""

    hook: Hook
    period_start: datetime.datetime
    period_end: datetime.datetime
    body: bytes
    headers: dict


def collect(context, hook: Hook, since: datetime.datetime,
            until: datetime.datetime,
            grace: datetime.timedelta) -> list[report_content.Digest]:
    """The digests of the projects the webhook covers, with news only."""
    projects = ([hook.project_id] if hook.project_id
                else sorted(api_reports.report_candidates(context)))
    digests = (report_content.collect(context, project_id, since, until,
                                      grace) for project_id in projects)
    return [d for d in digests if d.has_news]


def has_trouble(digests: list[report_content.Digest]) -> bool:
    """Whether a backup or a drill failed or a volume is out of policy."""
    return any(d.failures or d.out_of_policy or d.failed_drills
               for d in digests)


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _project(digest: report_content.Digest) -> dict:
    return {
        'project_id': digest.project_id,
        'backups': len(digest.backups),
        'failures': [{
            'volume_id': f.volume_id, 'volume_name': f.volume_name,
            'server_id': f.server_id, 'server_name': f.server_name,
            'backup_id': f.backup_id, 'reason': f.reason,
            'failed_at': _iso(f.finished_at)} for f in digest.failures],
        'out_of_policy': [{
            'volume_id': o.volume_id, 'volume_name': o.volume_name,
            'server_id': o.server_id, 'server_name': o.server_name,
            'interval_seconds': int(o.interval.total_seconds()),
            'last_backup_at': _iso(o.last_backup_at)}
            for o in digest.out_of_policy],
        'deletions': len(digest.deletions),
        'drills': [{
            'volume_id': d.volume_id, 'volume_name': d.volume_name,
            'backup_id': d.backup_id, 'outcome': d.outcome,
            'reason': d.reason,
            'rto_seconds': (None if d.rto is None
                            else d.rto.total_seconds()),
            'checked_at': _iso(d.checked_at)} for d in digest.drills],
    }


def document(delivery_id: str, digests, since, until) -> dict:
    """The JSON body."""
    projects = [_project(d) for d in digests]
    return {
        'event': EVENT,
        'delivery': delivery_id,
        'period_start': _iso(since),
        'period_end': _iso(until),
        'summary': {
            'backups': sum(p['backups'] for p in projects),
            'failures': sum(len(p['failures']) for p in projects),
            'out_of_policy': sum(len(p['out_of_policy']) for p in projects),
            'drills_failed': sum(
                1 for p in projects for d in p['drills']
                if d['outcome'] == 'failed'),
        },
        'projects': projects,
    }


def slack_text(doc: dict) -> str:
    """One message for a chat: the summary, then a line per problem."""
    total = doc['summary']
    lines = [f'Staffeln, {doc["period_start"]} to {doc["period_end"]}: '
             f'{total["backups"]} backups made, {total["failures"]} '
             f'failed, {total["out_of_policy"]} volumes out of policy.']
    for project in doc['projects']:
        for failure in project['failures']:
            lines.append(
                f'• project {project["project_id"]}: backup of volume '
                f'{failure["volume_name"] or failure["volume_id"]} failed: '
                f'{failure["reason"]}')
        for late in project['out_of_policy']:
            lines.append(
                f'• project {project["project_id"]}: volume '
                f'{late["volume_name"] or late["volume_id"]} has no backup '
                f'since {late["last_backup_at"] or "it was first seen"}')
        for drill in project['drills']:
            if drill['outcome'] == 'failed':
                lines.append(
                    f'• project {project["project_id"]}: restore drill of '
                    f'volume {drill["volume_name"] or drill["volume_id"]} '
                    f'failed: {drill["reason"]}')
    return '\n'.join(lines)


def signature(secret: str, body: bytes) -> str:
    """The value of the signature header: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f'sha256={digest}'


def build(hook: Hook, digests, since: datetime.datetime,
          until: datetime.datetime) -> Delivery:
    """The POST of the webhook for ``[since, until)``.

    Its delivery id stays the same across retries, so a receiver can tell
    a retry from a new delivery.
    """
    delivery_id = f'{hook.target}/{until.isoformat()}'
    doc = document(delivery_id, digests, since, until)
    if hook.body_format == 'slack':
        doc = {'text': slack_text(doc)}
    body = json.dumps(doc, sort_keys=True).encode()
    headers = {'Content-Type': 'application/json',
               'User-Agent': 'staffeln-webhook',
               DELIVERY_HEADER: delivery_id}
    if hook.secret:
        headers[SIGNATURE_HEADER] = signature(hook.secret, body)
    return Delivery(hook=hook, period_start=since, period_end=until,
                    body=body, headers=headers)

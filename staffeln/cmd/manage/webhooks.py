"""``staffeln-manage webhook``: each project's webhook, and every
webhook's delivery state."""

from staffeln.actions import webhooks as webhook_actions
from staffeln.cmd.manage import db
from staffeln.cmd import tables
from staffeln.common import clock
from staffeln.common import context as staffeln_context
from staffeln.common import exception
from staffeln.conf import webhook as webhook_conf
from staffeln.db import api_webhooks


def add_parsers(subparsers, conf) -> None:
    parser = subparsers.add_parser(
        'webhook', help="Projects' webhooks, beside their digests.")
    commands = parser.add_subparsers(dest='webhook_command')
    commands.required = True
    change = commands.add_parser('set', help="Set a project's webhook.")
    change.add_argument('project', help='The id of the project.')
    change.add_argument('--url', required=True,
                        help='http or https URL the events are POSTed to.')
    change.add_argument('--secret', help='Key of the HMAC-SHA256 signature '
                        'header (X-Staffeln-Signature); none: unsigned.')
    # Not dest='events': oslo.config refuses a command argument named
    # like an option group ([events]).
    change.add_argument('--events', default='failures', dest='hook_events',
                        choices=[name for name, _ in webhook_conf.EVENTS],
                        help='failures: only cycles with a failure or a '
                             'volume out of policy; all: every cycle.')
    change.add_argument('--format', default='json', dest='body_format',
                        choices=[n for n, _ in webhook_conf.BODY_FORMATS],
                        help='json, or slack for a Slack-compatible body.')
    change.set_defaults(func=lambda: do_set(conf.command))
    unset = commands.add_parser('unset', help="Remove a project's webhook.")
    unset.add_argument('project', help='The id of the project.')
    unset.set_defaults(func=lambda: do_unset(conf.command))
    listing = commands.add_parser(
        'list', help='Every webhook (the global one of [webhook] url too) '
                     'and how its deliveries went.')
    listing.set_defaults(func=lambda: do_list(conf))


def do_set(args) -> int:
    webhook_actions.set_project_webhook(
        _admin(), args.project, clock.utcnow(), url=args.url,
        secret=args.secret or None, events=args.hook_events,
        body_format=args.body_format)
    print(f'Project {args.project}: webhook {args.url} ({args.hook_events}, '
          f'{args.body_format}, '
          f'{"signed" if args.secret else "unsigned"}).')
    return 0


def do_unset(args) -> int:
    if not webhook_actions.remove_project_webhook(_admin(), args.project):
        raise exception.NoSuchObject(
            f'project {args.project} has no webhook')
    print(f'Project {args.project}: no webhook.')
    return 0


def do_list(conf) -> int:
    context = _admin()
    states = {d.target: d for d in api_webhooks.list_deliveries(context)}
    rows = []
    hooks = [(api_webhooks.GLOBAL, conf.webhook.url, conf.webhook.events,
              conf.webhook.body_format)] if conf.webhook.url else []
    hooks += [(api_webhooks.project_target(h.project_id), h.url, h.events,
               h.body_format)
              for h in api_webhooks.list_project_webhooks(context)]
    for target, url, events, body_format in hooks:
        state = states.get(target)
        sent = state and state.last_sent_at
        rows.append([target, url, events, body_format,
                     sent.isoformat() if sent else '-',
                     str(state.failures if state else 0),
                     (state and state.last_error) or ''])
    print(tables.render(['TARGET', 'URL', 'EVENTS', 'FORMAT', 'LAST SENT',
                         'FAILURES', 'LAST ERROR'], rows))
    return 0


def _admin():
    db.check_schema()
    return staffeln_context.get_admin_context()

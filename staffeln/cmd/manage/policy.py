"""``staffeln-manage policy create|list|show|set|delete``."""

import datetime

from staffeln.actions import catalog as policy_catalog
from staffeln.actions import policies
from staffeln.cmd.manage import db
from staffeln.cmd import tables
from staffeln.common import clock
from staffeln.common import context as staffeln_context
from staffeln.common import duration
from staffeln.conductor import forecasting
from staffeln.db import api as db_api
from staffeln.db import api_policies
from staffeln.rules import forecast

#: Runs ``policy show`` lists.
RUNS_SHOWN = 10


def add_parsers(subparsers, conf) -> None:
    """The ``policy`` command and its sub-commands."""
    parser = subparsers.add_parser(
        'policy', help='Protection policies: named schedules and retention.')
    commands = parser.add_subparsers(dest='policy_command')
    commands.required = True
    create = commands.add_parser('create', help='Create a policy.')
    create.add_argument('policy_name', metavar='NAME')
    _fields(create, creating=True)
    create.set_defaults(func=lambda: do_create(conf, conf.command))
    commands.add_parser('list', help='List the policies.').set_defaults(
        func=lambda: do_list(conf, conf.command))
    show = commands.add_parser(
        'show', help='Show a policy, its next runs and its quota forecast.')
    show.add_argument('policy_name', metavar='NAME')
    show.set_defaults(func=lambda: do_show(conf, conf.command))
    change = commands.add_parser('set', help='Change a policy.')
    change.add_argument('policy_name', metavar='NAME')
    _fields(change, creating=False)
    change.set_defaults(func=lambda: do_set(conf, conf.command))
    delete = commands.add_parser(
        'delete', help='Retire a policy: it makes no more backups, and its '
                       'backups age out under it.')
    delete.add_argument('policy_name', metavar='NAME')
    delete.set_defaults(func=lambda: do_delete(conf, conf.command))


def _fields(parser, creating: bool) -> None:
    parser.add_argument('--schedule', help='An interval (6h), a cron '
                        'expression ("0 2 * * 1,3,5"), "daily at 02:00" or '
                        '"weekly on mon,wed,fri at 02:00".')
    parser.add_argument('--timezone', help='The zone the schedule and the '
                        'window are in (default UTC), like Europe/Berlin.')
    parser.add_argument('--window', help='HH:MM-HH:MM: no backup of the '
                        'policy starts outside it (may span midnight).')
    parser.add_argument('--jitter', choices=('on', 'off'), help='Spread '
                        'the volumes over the window or the period (on by '
                        'default).')
    parser.add_argument('--full-every', help='Every Nth backup is a full '
                        'one.')
    parser.add_argument('--full-interval', help='A full backup at least '
                        'this often (a duration, like 7d).')
    parser.add_argument('--retention', dest='keep_for', metavar='DURATION',
                        help='Keep backups younger than '
                        'this (a duration).')
    parser.add_argument('--keep', help='Keep rules, like '
                        'daily=7,weekly=4,monthly=12.')
    parser.add_argument('--description')
    parser.add_argument('--enabled', choices=('yes', 'no'))
    parser.add_argument('--public', choices=('yes', 'no'), help='Whether '
                        'every project may use it (else only the granted '
                        'ones).')
    if creating:
        parser.add_argument('--project', action='append', default=[],
                            help='Grant it to this project (repeatable).')
    else:
        parser.add_argument('--grant', action='append', default=[],
                            help='Grant it to this project (repeatable).')
        parser.add_argument('--revoke', action='append', default=[],
                            help='Take it from this project (repeatable).')


def fields_of(args) -> dict:
    """The policy fields given on the command line."""
    fields = {}
    for key, dest in (('schedule', 'schedule'), ('timezone', 'timezone'),
                      ('window', 'window'), ('full_every', 'full_every'),
                      ('full_interval', 'full_interval'),
                      ('retention', 'keep_for'), ('keep', 'keep'),
                      ('description', 'description')):
        value = getattr(args, dest, None)
        if value is not None:
            fields[key] = value
    for key, yes in (('jitter', 'on'), ('enabled', 'yes'),
                     ('public', 'yes')):
        value = getattr(args, key, None)
        if value is not None:
            fields[key] = value == yes
    return fields


# ---------------------------------------------------------------- output

def render_list(catalog, rows, grants) -> str:
    table = []
    for row in rows:
        policy = catalog.by_name.get(row.name)
        if policy is None:
            continue
        who = 'public' if policy.public else (
            ', '.join(sorted(grants.get(row.id, ()))) or 'nobody')
        table.append((
            policy.name, policy.timetable.schedule,
            policy.timetable.timezone, str(policy.timetable.window or '-'),
            f'every {policy.full_every}', _retention_text(policy), who,
            'yes' if policy.enabled else 'no'))
    return tables.render(['name', 'schedule', 'timezone', 'window', 'full',
                          'retention', 'projects', 'enabled'], table,
                         indent='')


def _retention_text(policy) -> str:
    text = duration.format(policy.retention.retention)
    if policy.retention.keep:
        text += f', keep {policy.retention.keep}'
    return text


def render_show(policy, now: datetime.datetime, period, users: int,
                gigabytes: int) -> str:
    """A policy, its next runs and what it needs at steady state.

    ``period`` is the time between two of its backups.
    """
    table = policy.timetable
    kept = forecast.backups_kept(period, policy.retention,
                                 policy.full_backup_depth)
    lines = [
        f'Policy {policy.name}' + (f': {policy.description}'
                                   if policy.description else ''),
        f'  schedule      {table.schedule} ({table.timezone})',
        f'  window        {table.window or "any time"}',
        f'  jitter        {"on" if table.jitter else "off"}',
        f'  full backups  every {policy.full_every}' + (
            f', at least every {duration.format(policy.full_interval)}'
            if policy.full_interval else ''),
        f'  retention     {_retention_text(policy)}',
        f'  projects      {"all (public)" if policy.public else ", ".join(sorted(policy.grants)) or "none"}',  # noqa: E501
        f'  enabled       {"yes" if policy.enabled else "no"}',
        '', f'Next {RUNS_SHOWN} runs (before each volume\'s jitter):']
    runs = table.runs(now, RUNS_SHOWN)
    if not runs:
        lines.append('  at every discovery')
    for run in runs:
        local = run.astimezone(table.tz)
        lines.append(f'  {local:%Y-%m-%d %H:%M %a} {table.timezone}'
                     f'   {run:%Y-%m-%d %H:%M} UTC')
    lines += ['', 'Quota at steady state:',
              f'  per volume    {kept} backups, {kept} GB per GB of volume',
              f'  its {users} volumes  {kept * users} backups, '
              f'{kept * gigabytes} GB']
    return '\n'.join(lines)


def usage(context, policy_id: int) -> tuple[int, int]:
    """How many live volumes a policy protects, and their gigabytes."""
    chosen = api_policies.volume_policy_ids(context)
    volumes = [db_api.get_volume(context, volume_id)
               for volume_id, ids in chosen.items() if policy_id in ids]
    live = [v for v in volumes if v is not None and v.gone_at is None]
    return len(live), sum(v.size_gb or 0 for v in live)


# -------------------------------------------------------------- commands

def do_create(conf, args) -> int:
    context = _admin()
    policies.create(context, conf, clock.utcnow(), args.policy_name,
                    fields_of(args), args.project)
    print(f'Created policy {args.policy_name}.')
    return 0


def do_list(conf, args) -> int:
    context = _admin()
    catalog = policy_catalog.load(context, conf)
    rows = api_policies.list_policies(context)
    print(render_list(catalog, rows, api_policies.all_grants(context)))
    broken = [r.name for r in rows if r.name not in catalog.by_name]
    for name in broken:
        print(f'policy {name} cannot be used under the current '
              f'configuration; see the conductor\'s log')
    return 0


def do_show(conf, args) -> int:
    context = _admin()
    row = api_policies.get_policy(context, args.policy_name)
    catalog = policy_catalog.load(context, conf)
    policy = catalog.by_name.get(row.name)
    if policy is None:
        print(f'policy {row.name} cannot be used under the current '
              f'configuration; see the conductor\'s log')
        return 1
    users, gigabytes = usage(context, row.id)
    now = clock.utcnow()
    period = forecasting.Forecaster(conf).period(policy.timetable, now)
    print(render_show(policy, now, period, users, gigabytes))
    return 0


def do_set(conf, args) -> int:
    context = _admin()
    policies.update(context, conf, clock.utcnow(), args.policy_name,
                    fields_of(args), args.grant, args.revoke)
    print(f'Changed policy {args.policy_name}.')
    return 0


def do_delete(conf, args) -> int:
    context = _admin()
    policies.delete(context, args.policy_name, clock.utcnow())
    print(f'Retired policy {args.policy_name}: it starts no more backups; its '
          f'backups age out under its retention.')
    return 0


def _admin():
    """An admin context, once the schema is known to be current."""
    db.check_schema()
    return staffeln_context.get_admin_context()

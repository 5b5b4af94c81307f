"""``staffeln-manage project set`` and ``backup-now``."""

from staffeln.actions import ondemand
from staffeln.actions import policies
from staffeln.cmd.manage import db
from staffeln.common import clock
from staffeln.common import context as staffeln_context
from staffeln.db import api_policies


def add_parsers(subparsers, conf) -> None:
    """The ``project`` and ``backup-now`` commands."""
    parser = subparsers.add_parser('project', help='Project settings.')
    commands = parser.add_subparsers(dest='project_command')
    commands.required = True
    change = commands.add_parser('set', help="Change a project's settings.")
    change.add_argument('project', help='The id of the project.')
    change.add_argument('--default-policy', help='The policy of its servers '
                        'that name none; "" for the global default.')
    change.add_argument('--paused', choices=('yes', 'no'), help='Start no '
                        'backup for the project while paused.')
    change.set_defaults(func=lambda: do_project_set(conf, conf.command))

    now = subparsers.add_parser(
        'backup-now', help='Queue a backup now, outside the schedule and '
                           'its window, within the caps and the quota.')
    now.add_argument('--volume', help='The id of a volume.')
    now.add_argument('--server', help='The id of a server: each of its '
                     'volumes.')
    now.add_argument('--policy', help="The policy the backup counts toward "
                     "(default: the volume's).")
    now.add_argument('--full', action='store_true',
                     help='A full backup, whatever the chain.')
    now.set_defaults(func=lambda: do_backup_now(conf, conf.command))


def do_project_set(conf, args) -> int:
    context = _admin()
    now = clock.utcnow()
    if args.default_policy is None and args.paused is None:
        print('Nothing to change: give --default-policy or --paused.')
        return 2
    if args.default_policy is not None:
        policies.set_project_default(context, conf, now, args.project,
                                     args.default_policy or None)
    if args.paused is not None:
        api_policies.set_project_settings(context, args.project, now,
                                          paused=args.paused == 'yes')
    settings = api_policies.get_settings(context, args.project)
    names = {p.id: p.name for p in api_policies.list_policies(context)}
    print(f'Project {args.project}: ' + describe(settings, names, conf))
    return 0


def describe(settings, names: dict[int, str], conf) -> str:
    """A project's settings in one line."""
    default = conf.conductor.default_policy + ' (the global default)'
    if settings is not None and settings.default_policy_id in names:
        default = names[settings.default_policy_id]
    paused = settings is not None and settings.paused
    return (f'default policy {default}, '
            f'{"paused" if paused else "not paused"}')


def do_backup_now(conf, args) -> int:
    context = _admin()
    tasks = ondemand.queue(context, conf, clock.utcnow(),
                           volume_id=args.volume, server_id=args.server,
                           policy_name=args.policy, full=args.full)
    for task in tasks:
        print(f'Queued {task.backup_type} backup of volume {task.volume_id} '
              f'(task {task.uuid}).')
    return 0


def _admin():
    """An admin context, once the schema is known to be current."""
    db.check_schema()
    return staffeln_context.get_admin_context()

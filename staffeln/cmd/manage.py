"""staffeln-manage: database migrations and one-shot operator commands."""

import json
import sys

from oslo_config import cfg
from oslo_db import exception as db_exc
import sqlalchemy as sa

from staffeln.common import clock
from staffeln.common import context as staffeln_context
from staffeln.common import coordination
from staffeln.common import exception
from staffeln.common import service as staffeln_service
from staffeln.conductor import manager
from staffeln.conductor import report
from staffeln.conductor import retention_preview
from staffeln.conductor import summary
from staffeln import conf as staffeln_conf
from staffeln.db import migration

CONF = staffeln_conf.CONF


def _check_schema():
    try:
        current = migration.version()
    except sa.exc.OperationalError as exc:
        raise exception.ConfigurationError(
            f'cannot reach the database: {exc.orig}')
    if current != migration.head():
        raise exception.ConfigurationError(
            f'the database schema is at {current or "nothing"}, not '
            f'{migration.head()}: run staffeln-manage db upgrade')


def _manager():
    _check_schema()
    return manager.Manager.build(CONF, clock.Clock())


class DBCommands:

    def upgrade(self):
        revision = CONF.command.revision
        try:
            migration.upgrade(revision)
        except sa.exc.OperationalError as exc:
            raise exception.ConfigurationError(
                f'cannot reach the database: {exc.orig}')
        print(f'Database is at {migration.version()}')
        return 0

    def version(self):
        print(migration.version() or 'None (empty database)')
        return 0


def run_once():
    mgr = _manager()
    result = mgr.run_once(staffeln_context.get_admin_context())
    print(summary.cycle(result))
    if result.retention is not None:
        print(retention_preview.summary(result.retention))
    return 0 if result.ok else 1


def plan():
    mgr = _manager()
    rows = mgr.plan(staffeln_context.get_admin_context())
    print(summary.plan(rows))
    return 0


def report_preview():
    _check_schema()
    return report.preview_command(CONF, CONF.command.project,
                                  CONF.command.format)


def preview_retention():
    _check_schema()
    return retention_preview.preview_command(CONF, CONF.command.project)


def conductors():
    # No schema check here: it logs, and --json prints to stdout.
    try:
        data = coordination.overview(CONF,
                                     staffeln_context.get_admin_context())
    except (sa.exc.SQLAlchemyError, db_exc.DBError) as exc:
        cause = getattr(exc, 'orig', None) or exc
        raise exception.ConfigurationError(
            f'cannot read the tasks from the database: {cause}')
    print(json.dumps(data, indent=2) if CONF.command.json
          else coordination.render(data))
    return 1 if data['error'] else 0


def add_command_parsers(subparsers):
    db = subparsers.add_parser('db', help='Database schema commands.')
    db_sub = db.add_subparsers(dest='db_command')
    db_sub.required = True
    upgrade = db_sub.add_parser(
        'upgrade', help='Create or upgrade the schema; harmless if current.')
    upgrade.add_argument('--revision', default='head',
                         help='Revision to upgrade to (default: head).')
    upgrade.set_defaults(func=lambda: DBCommands().upgrade())
    version = db_sub.add_parser('version',
                                help='Print the schema revision.')
    version.set_defaults(func=lambda: DBCommands().version())

    once = subparsers.add_parser(
        'run-once',
        help='Run one whole cycle in the foreground: discover, back up, '
             'and wait for the backups to end. Exits 1 if any failed.')
    once.set_defaults(func=run_once)

    show = subparsers.add_parser(
        'plan', help='Show what the next cycle would do, changing nothing.')
    show.set_defaults(func=plan)

    members = subparsers.add_parser(
        'conductors', help='List the live conductors, the leader, and the '
                           'tasks in each state.')
    members.add_argument('--json', action='store_true',
                         help='Print the same as JSON.')
    members.set_defaults(func=conductors)

    reports = subparsers.add_parser('report', help='Email digest commands.')
    reports_sub = reports.add_subparsers(dest='report_command')
    reports_sub.required = True
    preview = reports_sub.add_parser(
        'preview', help="Render a project's next digest to stdout without "
                        "sending it.")
    preview.add_argument('--project', required=True,
                         help='Id of the project.')
    preview.add_argument('--format', choices=('html', 'text'),
                         default='text', help='Which part to render.')
    preview.set_defaults(func=report_preview)

    retain = subparsers.add_parser('retention', help='Retention commands.')
    retain_sub = retain.add_subparsers(dest='retention_command')
    retain_sub.required = True
    retain_preview = retain_sub.add_parser(
        'preview', help='List what the next retention run would delete and '
                        'which rule keeps each kept backup, deleting '
                        'nothing.')
    retain_preview.add_argument('--project',
                                help='Only this project (its id).')
    retain_preview.set_defaults(func=preview_retention)


command_opt = cfg.SubCommandOpt('command', title='Commands',
                                help='Available commands',
                                handler=add_command_parsers)


@staffeln_service.run
def main(argv=None):
    argv = sys.argv if argv is None else argv
    CONF.register_cli_opt(command_opt)
    staffeln_service.prepare_service(argv, CONF)
    try:
        return CONF.command.func()
    except exception.CloudError as exc:
        print(f'{argv[0]}: error: {exc}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())

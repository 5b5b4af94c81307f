"""staffeln-manage: database migrations and one-shot operator commands.

Each command's output is rendered by its own module here; the conductor
package holds only what the daemon runs.
"""

import os
import sys

from oslo_config import cfg

from staffeln.cloud import client as cloud_client
from staffeln.cmd.manage import conductors
from staffeln.cmd.manage import cycle
from staffeln.cmd.manage import db
from staffeln.cmd.manage import policy
from staffeln.cmd.manage import projects
from staffeln.cmd.manage import report
from staffeln.cmd.manage import retention
from staffeln.cmd.manage import webhooks
from staffeln.cmd import prepare
from staffeln.common import clock
from staffeln.common import exception
from staffeln.conductor import manager
from staffeln import conf as staffeln_conf

CONF = staffeln_conf.CONF


def _manager():
    db.check_schema()
    return manager.Manager.build(CONF, clock.Clock())


def _cloud():
    db.check_schema()
    return cloud_client.Cloud(CONF)


def _add_db(subparsers):
    parser = subparsers.add_parser('db', help='Database schema commands.')
    commands = parser.add_subparsers(dest='db_command')
    commands.required = True
    upgrade = commands.add_parser(
        'upgrade', help='Create or upgrade the schema; harmless if current.')
    upgrade.add_argument('--revision', default='head',
                         help='Revision to upgrade to (default: head).')
    upgrade.set_defaults(func=lambda: db.upgrade(CONF.command.revision))
    version = commands.add_parser('version',
                                  help='Print the schema revision.')
    version.set_defaults(func=db.version)


def _add_cycle(subparsers):
    once = subparsers.add_parser(
        'run-once',
        help='Run one whole cycle in the foreground: discover, back up, '
             'and wait for the backups to end. Exits 1 if any failed.')
    once.set_defaults(func=lambda: cycle.run_once(_manager()))
    show = subparsers.add_parser(
        'plan', help='Show what the next cycle would do, changing nothing.')
    show.set_defaults(func=lambda: cycle.plan(_manager()))


def _add_conductors(subparsers):
    members = subparsers.add_parser(
        'conductors', help='List the live conductors, the leader, and the '
                           'tasks in each state.')
    members.add_argument('--json', action='store_true',
                         help='Print the same as JSON.')
    members.set_defaults(
        func=lambda: conductors.command(CONF, CONF.command.json))


def _add_report(subparsers):
    parser = subparsers.add_parser('report', help='Email digest commands.')
    commands = parser.add_subparsers(dest='report_command')
    commands.required = True
    preview = commands.add_parser(
        'preview', help="Render a project's next digest to stdout without "
                        "sending it.")
    preview.add_argument('--project', required=True,
                         help='Id of the project.')
    preview.add_argument('--format', choices=('html', 'text'),
                         default='text', help='Which part to render.')
    preview.set_defaults(func=lambda: report.preview_command(
        CONF, _cloud(), CONF.command.project, CONF.command.format))


def _add_retention(subparsers):
    parser = subparsers.add_parser('retention', help='Retention commands.')
    commands = parser.add_subparsers(dest='retention_command')
    commands.required = True
    preview = commands.add_parser(
        'preview', help='List what the next retention run would delete and '
                        'which rule keeps each kept backup, deleting '
                        'nothing.')
    preview.add_argument('--project', help='Only this project (its id).')
    preview.set_defaults(func=lambda: retention.preview_command(
        CONF, _cloud(), CONF.command.project))


def add_command_parsers(subparsers):
    for add in (_add_db, _add_cycle, _add_conductors, _add_report,
                _add_retention):
        add(subparsers)
    policy.add_parsers(subparsers, CONF)
    projects.add_parsers(subparsers, CONF)
    webhooks.add_parsers(subparsers, CONF)


command_opt = cfg.SubCommandOpt('command', title='Commands',
                                help='Available commands',
                                handler=add_command_parsers)


@prepare.run
def main(argv=None):
    argv = sys.argv if argv is None else argv
    CONF.register_cli_opt(command_opt)
    prepare.prepare_service(argv, CONF)
    try:
        return CONF.command.func()
    except exception.InvalidInput as exc:
        print(f'{os.path.basename(argv[0])}: error: {exc}',
              file=sys.stderr)
        return 2
    except (exception.CloudError, exception.NoSuchObject,
            exception.Conflict) as exc:
        print(f'{os.path.basename(argv[0])}: error: {exc}',
              file=sys.stderr)
        return 1

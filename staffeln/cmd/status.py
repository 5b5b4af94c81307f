"""staffeln-status upgrade check (oslo.upgradecheck).

``staffeln-status --config-file /etc/staffeln/staffeln.conf upgrade check
[--json]`` runs, in order:

* **Database schema**: the database can be read and is at the newest
  revision (``staffeln-manage db upgrade`` otherwise).
* **OpenStack access**: the ``[openstack]`` credentials get a token and list
  the servers of all projects; a warning when the service user has no role
  assignment inherited to projects, so it cannot back up in new projects.
* **Coordination backend**: the tooz backend of ``[coordination]
  backend_url`` can be used by the conductors.
* **Cinder backup service**: Cinder has a ``cinder-backup`` service, and
  one is enabled and up.
* **Backup quota**: each project's backup quota holds what the backup
  interval and retention keep at steady state (a warning lists those that
  will not).

The exit code is 0 when every check succeeds, 1 when the worst result is a
warning, 2 for a failure, and 255 when a check itself crashed.
"""

import os
import sys
import threading

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_upgradecheck import upgradecheck
import sqlalchemy as sa

from staffeln.cloud import client as cloud_client
from staffeln.cmd import prepare
from staffeln.common import clock
from staffeln.common import context as staffeln_context
from staffeln.common import coordination
from staffeln.common import exception
from staffeln.conductor import forecasting
from staffeln import conf as staffeln_conf
from staffeln.db import api as db_api
from staffeln.db import migration
from staffeln.rules import forecast

CONF = staffeln_conf.CONF
Code = upgradecheck.Code
Result = upgradecheck.Result

INHERITED_ROLE_HINT = (
    'openstack role add --user <service user> --user-domain Default '
    '--domain Default --inherited member')


def _one_line(exc: BaseException) -> str:
    return ' '.join(str(exc).split()) or type(exc).__name__


def _db_error(exc: BaseException) -> str:
    """The driver's message, without SQLAlchemy's background link."""
    while True:
        inner = (getattr(exc, 'orig', None)
                 or getattr(exc, 'inner_exception', None))
        if inner is None or inner is exc:
            return _one_line(exc)
        exc = inner


def _safe_url(url: str) -> str:
    """A database URL without its password."""
    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return '<unparsable [database] connection>'


class Checks(upgradecheck.UpgradeCommands):
    """Checks an operator runs after installing or upgrading Staffeln."""

    #: Seconds the coordination backend has to answer.
    coordination_timeout = 30.0

    def __init__(self, conf: cfg.ConfigOpts | None = None,
                 cloud_factory=cloud_client.Cloud):
        super().__init__()
        self.conf = CONF if conf is None else conf
        self._cloud_factory = cloud_factory
        self._cloud = None

    def _get_cloud(self) -> cloud_client.Cloud:
        if self._cloud is None:
            self._cloud = self._cloud_factory(self.conf)
        return self._cloud

    # ------------------------------------------------------------ database

    def _check_database(self) -> Result:
        url = _safe_url(self.conf.database.connection)
        try:
            db_api.configure(self.conf)
            current = migration.version()
        except (sa.exc.SQLAlchemyError, db_exc.DBError) as exc:
            return Result(Code.FAILURE,
                          f'Cannot read the database {url}: '
                          f'{_db_error(exc)}')
        head = migration.head()
        if current != head:
            return Result(Code.FAILURE, (
                f'The database schema is at {current or "nothing"}, not '
                f'{head}: run staffeln-manage db upgrade.'))
        return Result(Code.SUCCESS, f'The database schema is at {head}.')

    # ------------------------------------------------------------ openstack

    def _check_openstack(self) -> Result:
        try:
            cloud = self._get_cloud()
            cloud.check_all_projects_listing()
        except exception.ConfigurationError as exc:
            return Result(Code.FAILURE, str(exc))
        except exception.CloudError as exc:
            advice = ''
            if exc.status == 401:
                advice = (' Keystone refuses the [openstack] credentials: '
                          'check the user name, password and domains.')
            elif exc.status == 403:
                advice = (' The service user needs the admin role in its '
                          'own project to list every project\'s servers.')
            return Result(Code.FAILURE, (
                f'The [openstack] credentials cannot list the servers of '
                f'all projects: {exc}.{advice}'))
        try:
            inherited = cloud.inherited_role_assignments()
        except exception.CloudError as exc:
            return Result(Code.WARNING, (
                f'The servers of all projects can be listed, but the role '
                f'assignments of the service user cannot be read: {exc}. '
                f'It needs a role in every project it backs up, best an '
                f'inherited one: {INHERITED_ROLE_HINT}'))
        if not inherited:
            return Result(Code.WARNING, (
                'The servers of all projects can be listed, but the service '
                'user has no role assignment inherited to projects, so it '
                'can back up only in the projects where it holds a role '
                'itself (backups are created with a token scoped to the '
                'volume\'s project). Unless a group gives it one, run: '
                f'{INHERITED_ROLE_HINT}'))
        return Result(Code.SUCCESS, (
            'The [openstack] credentials list the servers of all projects '
            'and the service user has a role inherited to projects.'))

    # ------------------------------------------------------------ tooz

    def _check_coordination(self) -> Result:
        try:
            url = self.conf.coordination.backend_url
        except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
            url = None
        if not url:
            return Result(Code.SUCCESS, (
                'No [coordination] backend_url: conductors are not '
                'coordinated; run only one.'))
        backend = coordination.safe_url(coordination.backend_url(self.conf))
        outcome = {}

        def probe():
            try:
                observer = coordination.Coordinator(
                    self.conf, member_id=(
                        f'staffeln-status.{self.conf.host}.{os.getpid()}'))
                # Connects, heartbeats and creates the conductors' group
                # when the backend has groups; joins nothing.
                observer.start(join=False)
                observer.stop()
            except Exception as exc:
                outcome['error'] = exc
            outcome['done'] = True

        # Some drivers retry a refused connection for minutes.
        thread = threading.Thread(target=probe, daemon=True,
                                  name='coordination-check')
        thread.start()
        thread.join(self.coordination_timeout)
        if not outcome.get('done'):
            return Result(Code.FAILURE, (
                f'The coordination backend {backend} cannot be reached: '
                f'no answer within {self.coordination_timeout:g} s.'))
        if 'error' in outcome:
            return Result(Code.FAILURE, (
                f'The coordination backend {backend} cannot be used: '
                f'{_one_line(outcome["error"])}'))
        if backend.startswith('file:'):
            return Result(Code.SUCCESS, (
                f'The coordination backend {backend} answers; lock files '
                f'coordinate the conductors of this host only.'))
        return Result(Code.SUCCESS,
                      f'The coordination backend {backend} answers.')

    # ------------------------------------------------------------ cinder

    def _check_backup_service(self) -> Result:
        try:
            services = self._get_cloud().backup_services()
        except exception.ConfigurationError as exc:
            return Result(Code.FAILURE, str(exc))
        except exception.CloudError as exc:
            return Result(Code.FAILURE, (
                f'Cannot list Cinder\'s services with the [openstack] '
                f'credentials: {exc}'))
        if not services:
            return Result(Code.FAILURE, (
                'Cinder has no cinder-backup service: every backup fails '
                'until one is deployed.'))
        ready = sorted(s['host'] for s in services
                       if s['state'] == 'up' and s['status'] == 'enabled')
        if not ready:
            states = ', '.join(f'{s["host"]} ({s["status"]}, {s["state"]})'
                               for s in services)
            return Result(Code.WARNING, (
                f'No cinder-backup service is enabled and up ({states}): '
                f'backups fail until one is.'))
        return Result(Code.SUCCESS, (
            f'cinder-backup is enabled and up on {", ".join(ready)}.'))

    # ------------------------------------------------------------ quota

    def _check_quota(self) -> Result:
        try:
            volumes = db_api.list_volumes(
                staffeln_context.get_admin_context())
        except (sa.exc.SQLAlchemyError, db_exc.DBError) as exc:
            return Result(Code.FAILURE, f'Cannot read the volumes Staffeln '
                                        f'backs up: {_db_error(exc)}')
        needs = forecasting.Forecaster(self.conf).from_volumes(
            staffeln_context.get_admin_context(), volumes, clock.utcnow())
        if not needs:
            return Result(Code.SUCCESS, 'No volume is backed up yet.')
        short, unread = [], []
        for project_id, need in sorted(needs.items()):
            try:
                quota = self._get_cloud().get_backup_quota(project_id)
            except (exception.CloudError,
                    exception.ConfigurationError) as exc:
                unread.append(f'{project_id} ({exc})')
                continue
            for shortfall in forecast.shortfalls(need, quota):
                short.append(f'project {project_id}: {shortfall}')
        if short:
            listed = '; '.join(short[:10]) + (
                f'; and {len(short) - 10} more' if len(short) > 10 else '')
            return Result(Code.WARNING, (
                f'{len(short)} backup quotas will not hold what the backup '
                f'interval and retention keep at steady state; backups '
                f'fail once they are reached: {listed}. '
                f'staffeln-manage plan shows every project.'))
        if unread:
            return Result(Code.WARNING, (
                f'The backup quota of {len(unread)} projects cannot be '
                f'read: {"; ".join(unread[:5])}'))
        return Result(Code.SUCCESS, (
            f'The backup quotas of the {len(needs)} projects backed up hold '
            f'what retention keeps at steady state.'))

    _upgrade_checks = (
        ('Database schema', _check_database),
        ('OpenStack access', _check_openstack),
        ('Coordination backend', _check_coordination),
        ('Cinder backup service', _check_backup_service),
        ('Backup quota', _check_quota),
    )


@prepare.run
def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    # A check must not wait for a database that is down.
    CONF.set_default('max_retries', 0, group='database')
    return upgradecheck.main(CONF, project='staffeln',
                             upgrade_command=Checks(CONF), argv=argv[1:])


if __name__ == '__main__':
    sys.exit(main())

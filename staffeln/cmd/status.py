"""staffeln-status upgrade check (oslo.upgradecheck)."""

import sys

from oslo_upgradecheck import upgradecheck
import sqlalchemy as sa

from staffeln.common import exception
from staffeln.common import openstack
from staffeln import conf as staffeln_conf
from staffeln.db import api as db_api
from staffeln.db import migration

CONF = staffeln_conf.CONF
Code = upgradecheck.Code
Result = upgradecheck.Result


class Checks(upgradecheck.UpgradeCommands):
    """Checks an operator runs before and after an upgrade."""

    def _check_database(self):
        try:
            db_api.configure(CONF)
            current = migration.version()
        except sa.exc.SQLAlchemyError as exc:
            return Result(Code.FAILURE,
                          f'Cannot reach the database: {exc}')
        head = migration.head()
        if current != head:
            return Result(Code.FAILURE, (
                f'The database schema is at {current or "nothing"}, not '
                f'{head}: run staffeln-manage db upgrade.'))
        return Result(Code.SUCCESS, f'Database schema is at {head}.')

    def _check_openstack(self):
        try:
            cloud = openstack.Cloud(CONF)
            storage = cloud.connections.service().block_storage
            services = list(storage.services(binary='cinder-backup'))
            compute = cloud.connections.service().compute
            next(iter(compute.servers(all_projects=True, limit=1)), None)
        except exception.ConfigurationError as exc:
            return Result(Code.FAILURE, str(exc))
        except Exception as exc:
            return Result(Code.FAILURE, (
                f'Cannot list servers of all projects and Cinder services '
                f'with the [openstack] credentials: {exc}'))
        if not any(s.state == 'up' for s in services):
            return Result(Code.WARNING, (
                'No cinder-backup service is up: backups will stay '
                'creating until one is.'))
        return Result(Code.SUCCESS, (
            'OpenStack credentials list servers of all projects; a '
            'cinder-backup service is up.'))

    _upgrade_checks = (
        ('Database schema', _check_database),
        ('OpenStack access', _check_openstack),
    )


def main():
    return upgradecheck.main(CONF, project='staffeln',
                             upgrade_command=Checks())


if __name__ == '__main__':
    sys.exit(main())

"""Rules of restores (``/v1/restores``) and of backup records
(``/v1/backups/{id}/export_record``, ``/v1/backups/import_record``)."""

from staffeln.policies import base

LIST = 'staffeln:restore:list'
LIST_ALL_PROJECTS = 'staffeln:restore:list:all_projects'
GET = 'staffeln:restore:get'
CREATE = 'staffeln:restore:create'
EXPORT = 'staffeln:backup:export_record'
IMPORT = 'staffeln:backup:import_record'

rules = [
    base.rule(LIST, base.ADMIN_OR_PROJECT_READER,
              "List the restores of one project (the caller's own unless "
              "project_id is given).", 'GET', '/v1/restores'),
    base.rule(LIST_ALL_PROJECTS, base.ADMIN,
              'List the restores of every project (all_projects=true).',
              'GET', '/v1/restores?all_projects=true'),
    base.rule(GET, base.ADMIN_OR_PROJECT_READER,
              'Show a restore and its state.', 'GET',
              '/v1/restores/{restore_uuid}'),
    base.rule(CREATE, base.ADMIN_OR_PROJECT_MEMBER,
              "Restore one of the project's Staffeln backups to a new "
              "volume or onto an available volume of the project.",
              'POST', '/v1/restores'),
    base.rule(EXPORT, base.ADMIN,
              "Export a Staffeln backup's record (Cinder export_record).",
              'GET', '/v1/backups/{backup_id}/export_record'),
    base.rule(IMPORT, base.ADMIN,
              'Import a backup record (Cinder import_record).',
              'POST', '/v1/backups/import_record'),
]


def list_rules():
    return rules

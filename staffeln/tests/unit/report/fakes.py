"""A fake of the three cloud adapter methods the digests use."""


class FakeCloud:
    """Projects, role holders' emails and backup quotas, in memory.

    ``fail`` maps a method name to an exception it raises; ``calls``
    records every call.
    """

    def __init__(self):
        self.projects: dict[str, dict] = {}
        self.emails: dict[tuple[str, str], list[str]] = {}
        self.quotas: dict[str, dict] = {}
        self.fail: dict[str, Exception] = {}
        self.calls: list[tuple] = []

    def add_project(self, project_id, name, domain_id='default',
                    backups=(10, 0, 0), gigabytes=(1000, 0, 0)):
        self.projects[project_id] = {'id': project_id, 'name': name,
                                     'domain_id': domain_id}
        self.set_quota(project_id, backups, gigabytes)

    def set_quota(self, project_id, backups, gigabytes):
        def entry(values):
            limit, in_use, reserved = values
            return {'limit': limit, 'in_use': in_use, 'reserved': reserved}
        self.quotas[project_id] = {'backups': entry(backups),
                                   'backup_gigabytes': entry(gigabytes)}

    def _call(self, name, *args):
        self.calls.append((name,) + args)
        if name in self.fail:
            raise self.fail[name]

    def get_project(self, project_id):
        self._call('get_project', project_id)
        return dict(self.projects[project_id])

    def project_user_emails(self, project_id, role_name):
        self._call('project_user_emails', project_id, role_name)
        return list(self.emails.get((project_id, role_name), []))

    def get_backup_quota(self, project_id):
        self._call('get_backup_quota', project_id)
        return self.quotas[project_id]

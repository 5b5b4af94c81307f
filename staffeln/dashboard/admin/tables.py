"""Every project's protection, worst first, and the protection policies.
"""

from django.template import defaultfilters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables

from staffeln.dashboard import api


def _quota(used_key: str, limit_key: str):
    def column(project):
        used, limit = project.get(used_key), project.get(limit_key)
        if used is None:
            return _('Not read yet')
        if limit is None or limit < 0:
            return _('%(used)s of unlimited') % {'used': used}
        return _('%(used)s of %(limit)s') % {'used': used, 'limit': limit}
    return column


def _forecast(project):
    """The steady-state need, flagged when it passes the quota."""
    backups = project.get('quota_backups_forecast')
    gigabytes = project.get('quota_backup_gigabytes_forecast')
    if backups is None:
        return _('Not forecast yet')
    text = _('%(backups)s backups, %(gigabytes)s GB') % {
        'backups': backups, 'gigabytes': gigabytes}
    if _exceeds(backups, project.get('quota_backups_limit')) or _exceeds(
            gigabytes, project.get('quota_backup_gigabytes_limit')):
        return _('%s: more than the quota') % text
    return text


def _exceeds(need, limit) -> bool:
    return need is not None and limit is not None and 0 <= limit < need


def _recipients(project):
    return ', '.join(project.get('digest_recipients') or ()) or '-'


class EditProjectSettings(tables.LinkAction):
    name = 'settings'
    verbose_name = _('Edit Settings')
    url = 'horizon:admin:backup_protection:project_settings'
    classes = ('ajax-modal',)
    icon = 'pencil'


class ProjectsTable(tables.DataTable):
    project = tables.WrappingColumn('project_name', verbose_name=_('Project'))
    rpo_breaches = tables.Column('rpo_breaches',
                                 verbose_name=_('RPO Breaches'))
    failures = tables.Column('failures_last_day',
                             verbose_name=_('Failures (Last Day)'))
    protected = tables.Column('volumes_protected',
                              verbose_name=_('Volumes Protected'))
    skipped = tables.Column('volumes_skipped',
                            verbose_name=_('Volumes Skipped'))
    backups = tables.Column('backups', verbose_name=_('Good Backups'))
    quota_backups = tables.Column(
        _quota('quota_backups_used', 'quota_backups_limit'),
        verbose_name=_('Backup Quota'))
    quota_gigabytes = tables.Column(
        _quota('quota_backup_gigabytes_used',
               'quota_backup_gigabytes_limit'),
        verbose_name=_('Backup Gigabytes Quota'))
    forecast = tables.Column(_forecast, verbose_name=_('Forecast Need'))
    paused = tables.Column('paused', verbose_name=_('Paused'),
                           filters=(defaultfilters.yesno,))
    recipients = tables.WrappingColumn(_recipients,
                                       verbose_name=_('Digest Recipients'))

    def get_object_id(self, project):
        return project.project_id

    class Meta:
        name = 'projects'
        verbose_name = _('Projects')
        row_actions = (EditProjectSettings,)


class CreatePolicy(tables.LinkAction):
    name = 'create'
    verbose_name = _('Create Policy')
    url = 'horizon:admin:backup_protection:create_policy'
    classes = ('ajax-modal',)
    icon = 'plus'


class UpdatePolicy(tables.LinkAction):
    name = 'update'
    verbose_name = _('Edit Policy')
    url = 'horizon:admin:backup_protection:update_policy'
    classes = ('ajax-modal',)
    icon = 'pencil'


class DeletePolicy(tables.DeleteAction):
    help_text = _('A retired policy makes no more backups; its backups age '
                  'out under it.')

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Delete Policy', 'Delete Policies', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Deleted Policy', 'Deleted Policies', count)

    def allowed(self, request, policy=None):
        return policy is None or policy.name != 'default'

    def delete(self, request, obj_id):
        api.policy_delete(request, obj_id)


def duration_text(seconds: int | None) -> str:
    """``2w``, ``36h``, ``90s``: what the API reads back as the same."""
    if not seconds:
        return ''
    for unit, size in (('w', 604800), ('d', 86400), ('h', 3600),
                       ('min', 60)):
        if seconds % size == 0:
            return f'{seconds // size}{unit}'
    return f'{seconds}s'


def _retention(policy):
    return duration_text(policy.get('retention_s')) or _('Default')


class PoliciesTable(tables.DataTable):
    name = tables.Column('name', verbose_name=_('Name'))
    description = tables.WrappingColumn('description',
                                        verbose_name=_('Description'))
    schedule = tables.Column('schedule', verbose_name=_('Schedule'))
    timezone = tables.Column('timezone', verbose_name=_('Time Zone'))
    window = tables.Column('window', verbose_name=_('Window'))
    retention = tables.Column(_retention, verbose_name=_('Retention'))
    public = tables.Column('public', verbose_name=_('Public'),
                           filters=(defaultfilters.yesno,))
    enabled = tables.Column('enabled', verbose_name=_('Enabled'),
                            filters=(defaultfilters.yesno,))
    projects = tables.Column(lambda p: len(p.get('projects') or ()),
                             verbose_name=_('Granted To'))

    def get_object_id(self, policy):
        return policy.name

    def get_object_display(self, policy):
        return policy.name

    class Meta:
        name = 'policies'
        verbose_name = _('Protection Policies')
        table_actions = (CreatePolicy, DeletePolicy)
        row_actions = (UpdatePolicy, DeletePolicy)

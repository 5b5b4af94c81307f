"""The tables of Project → Automated Backups: protected volumes, and the
full and incremental backups. There is no delete action: automated
backups age out under their policy (and Cinder refuses their delete)."""

from django.template import defaultfilters
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from horizon import tables
from horizon.templatetags import sizeformat
from horizon.utils import filters

from staffeln.dashboard import api

STATES = (
    ('protected', _('Protected')),
    ('skipped', _('Skipped')),
    ('over_quota', _('Over quota')),
    ('failing', _('Failing')),
    ('gone', _('Gone')),
)
RPO_STATES = (
    ('met', _('Met')),
    ('breached', _('Breached')),
    ('pending', _('Pending')),
)
BACKUP_STATUSES = (
    ('queued', _('Queued')),
    ('creating', _('Creating')),
    ('available', _('Available')),
    ('error', _('Error')),
    ('cancelled', _('Cancelled')),
    ('deleting', _('Deleting')),
    ('deleted', _('Deleted')),
)


def _backups_url(**query) -> str:
    return (reverse('horizon:project:automated_backups:backups') + '?'
            + urlencode(query))


def _time(value):
    return filters.parse_isotime(value) if value else None


def _short(value):
    return defaultfilters.date(value, 'SHORT_DATETIME_FORMAT')


class VolumeFilter(tables.FilterAction):
    filter_type = 'server'
    filter_choices = (
        ('server', _('Server ='), True),
        ('volume', _('Volume ID ='), True),
        ('state', _('State ='), True,
         _('protected, skipped, over_quota, failing or gone')),
        ('policy', _('Policy ='), True),
    )


class BackUpNow(tables.BatchAction):
    name = 'backup_now'
    icon = 'cloud-upload'
    help_text = _('A backup is queued now, outside the schedule; the '
                  'conductor makes it on its next pass.')

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Back Up Now', 'Back Up Now', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Queued a backup of volume',
                             'Queued backups of volumes', count)

    def allowed(self, request, volume=None):
        return volume is None or volume.state in ('protected', 'failing',
                                                  'over_quota')

    def action(self, request, obj_id):
        api.backup_now(request, obj_id)


class _ServerProtection(tables.BatchAction):
    paused = None

    def allowed(self, request, volume=None):
        if volume is None:
            return False
        return bool(volume.server_id) and \
            volume.get('paused') is (not self.paused)

    def action(self, request, obj_id):
        volume = self.table.get_object_by_id(obj_id)
        api.server_settings_update(request, volume.server_id,
                                   paused=self.paused)


class PauseProtection(_ServerProtection):
    name = 'pause'
    paused = True
    action_type = 'danger'
    help_text = _('No backup of the server\'s volumes starts until its '
                  'protection is resumed.')

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Pause Protection of the Server',
                             'Pause Protection of the Servers', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Paused the protection of the server',
                             'Paused the protection of the servers', count)


class ResumeProtection(_ServerProtection):
    name = 'resume'
    paused = False

    @staticmethod
    def action_present(count):
        return ngettext_lazy('Resume Protection of the Server',
                             'Resume Protection of the Servers', count)

    @staticmethod
    def action_past(count):
        return ngettext_lazy('Resumed the protection of the server',
                             'Resumed the protection of the servers', count)


class ViewBackups(tables.LinkAction):
    name = 'backups'
    verbose_name = _('View Backups')

    def get_link_url(self, volume):
        return _backups_url(volume_id=volume.id)


def _policies(volume):
    return ', '.join(p['name'] for p in volume.get('policies') or ())


def _server(volume):
    return volume.get('server_name') or volume.get('server_id')


def _last_backup(volume):
    return _time((volume.get('last_backup') or {}).get('created_at'))


def _rpo(volume):
    return (volume.get('rpo') or {}).get('state')


class VolumesTable(tables.DataTable):
    name = tables.WrappingColumn(
        'name', verbose_name=_('Volume'),
        link=lambda v: _backups_url(volume_id=v.id))
    server = tables.Column(
        _server, verbose_name=_('Server'),
        link=lambda v: _backups_url(server_id=v.server_id)
        if v.server_id else None)
    policies = tables.Column(_policies, verbose_name=_('Policy'))
    state = tables.Column('state', verbose_name=_('State'),
                          display_choices=STATES)
    last_backup = tables.Column(_last_backup,
                                verbose_name=_('Last Good Backup'),
                                filters=(_short,))
    next_due = tables.Column(lambda v: _time(v.get('next_due_at')),
                             verbose_name=_('Next Due'),
                             filters=(_short,))
    rpo = tables.Column(_rpo, verbose_name=_('RPO'),
                        display_choices=RPO_STATES)

    class Meta:
        name = 'volumes'
        verbose_name = _('Protected Volumes')
        pagination_param = 'volume_marker'
        table_actions = (VolumeFilter, BackUpNow)
        row_actions = (ViewBackups, BackUpNow, PauseProtection,
                       ResumeProtection)


class RestoreToNew(tables.LinkAction):
    name = 'restore'
    verbose_name = _('Restore to New Volume')
    url = 'horizon:project:automated_backups:restore'
    classes = ('ajax-modal',)
    icon = 'plus'

    def allowed(self, request, backup=None):
        return backup is not None and backup.status == 'available'


class RestoreOnto(RestoreToNew):
    name = 'restore_onto'
    verbose_name = _('Restore onto Volume')
    url = 'horizon:project:automated_backups:restore_onto'
    icon = 'download'


class BackupsTable(tables.DataTable):
    volume = tables.WrappingColumn(
        lambda b: b.get('volume_name') or b.volume_id,
        verbose_name=_('Volume'))
    created = tables.Column(lambda b: _time(b.get('created_at')),
                            verbose_name=_('Created'),
                            filters=(_short,))
    status = tables.Column('status', verbose_name=_('Status'),
                           display_choices=BACKUP_STATUSES)
    chain = tables.Column('depth', verbose_name=_('Chain Depth'))
    parent = tables.Column(lambda b: b.get('parent_id') or '-',
                           verbose_name=_('Based On'))
    size = tables.Column('size_gb', verbose_name=_('Size'),
                         filters=(sizeformat.diskgbformat,))
    policy = tables.Column('policy', verbose_name=_('Policy'))
    on_demand = tables.Column(
        'on_demand', verbose_name=_('Asked For'),
        filters=(defaultfilters.yesno,))

    class Meta:
        name = 'backups'
        verbose_name = _('Backups')
        row_actions = (RestoreToNew, RestoreOnto)


class FullBackupsTable(BackupsTable):
    class Meta(BackupsTable.Meta):
        name = 'full'
        verbose_name = _('Full Backups')
        pagination_param = 'full_marker'


class IncrementalBackupsTable(BackupsTable):
    class Meta(BackupsTable.Meta):
        name = 'incremental'
        verbose_name = _('Incremental Backups')
        pagination_param = 'incremental_marker'

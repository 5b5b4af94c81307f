"""Project → Automated Backups: the protected volumes, their backups on
Full and Incremental tabs, and the restore forms."""

import re

from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import tables
from horizon import tabs
from openstack_dashboard.api import nova

from staffeln.dashboard import api
from staffeln.dashboard import client
from staffeln.dashboard.project import forms as project_forms
from staffeln.dashboard.project import tables as project_tables
from staffeln.dashboard.project import tabs as project_tabs

_UUID = re.compile(r'^[0-9a-f]{8}-?([0-9a-f]{4}-?){3}[0-9a-f]{12}$', re.I)
INDEX_URL = 'horizon:project:automated_backups:index'


def server_ids(request, value: str) -> list[str]:
    """The ids of the servers a filter names: an id, or a name."""
    if _UUID.match(value):
        return [value]
    servers, _more = nova.server_list(
        request, search_opts={'name': f'^{re.escape(value)}$'})
    return [server.id for server in servers]


class IndexView(tables.DataTableView):
    table_class = project_tables.VolumesTable
    template_name = 'horizon/common/_data_table_view.html'
    page_title = _('Automated Backups')
    _more = False

    def has_more_data(self, table):
        return self._more

    def _volumes(self, field: str | None, value: str) -> list:
        marker = self.request.GET.get(
            project_tables.VolumesTable._meta.pagination_param)
        if field == 'volume' and value:
            try:
                return [api.volume_get(self.request, value)]
            except client.ApiError as exc:
                if exc.status == 404:
                    return []
                raise
        if field == 'server' and value:
            ids = server_ids(self.request, value)
            if len(ids) != 1:
                return [v for server_id in ids for v in
                        api.volume_list(self.request, server_id=server_id)[0]]
            volumes, self._more = api.volume_list(
                self.request, marker=marker, server_id=ids[0])
            return volumes
        filters = {field: value} if field in ('state', 'policy') and \
            value else {}
        volumes, self._more = api.volume_list(self.request, marker=marker,
                                              **filters)
        return volumes

    def _mark_paused(self, volumes: list) -> None:
        """Each volume's ``paused``: whether its server's protection is."""
        paused = {}
        for server_id in {v.server_id for v in volumes if v.server_id}:
            try:
                paused[server_id] = api.server_settings_get(
                    self.request, server_id).paused
            except client.ApiError:
                paused[server_id] = None
        for volume in volumes:
            volume['paused'] = paused.get(volume.server_id)

    def get_data(self):
        field = self.table.get_filter_field()
        value = (self.table.get_filter_string() or '').strip()
        try:
            volumes = self._volumes(field, value)
            self._mark_paused(volumes)
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to retrieve protected volumes.'))
            return []
        return volumes


class BackupsView(tabs.TabbedTableView):
    tab_group_class = project_tabs.BackupTabs
    template_name = 'staffeln_dashboard/project/backups.html'
    page_title = _('Automated Backups')

    def scope(self) -> dict:
        return {key: self.request.GET[key]
                for key in ('server_id', 'volume_id')
                if self.request.GET.get(key)}

    def get_tabs(self, request, **kwargs):
        return super().get_tabs(request, scope=self.scope(), **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['scope'] = self.scope()
        context['index_url'] = reverse(INDEX_URL)
        return context


class _RestoreView(forms.ModalFormView):
    template_name = 'staffeln_dashboard/form.html'
    success_url = reverse_lazy('horizon:project:volumes:index')
    submit_label = _('Restore')

    def get_backup(self):
        if not hasattr(self, '_backup'):
            try:
                self._backup = api.backup_get(self.request,
                                              self.kwargs['backup_id'])
            except Exception:
                exceptions.handle(self.request,
                                  _('Unable to retrieve the backup.'),
                                  redirect=reverse(INDEX_URL))
        return self._backup

    def get_initial(self):
        return {'backup': self.get_backup()}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['submit_url'] = reverse(self.submit_url,
                                        args=(self.kwargs['backup_id'],))
        context['form_help'] = self.form_help
        return context


class RestoreView(_RestoreView):
    form_class = project_forms.RestoreForm
    modal_id = 'restore_backup_modal'
    modal_header = _('Restore Backup to New Volume')
    page_title = _('Restore Backup to New Volume')
    submit_url = 'horizon:project:automated_backups:restore'
    form_help = _('The backup is restored onto a new volume of this '
                  'project; the backup stays as it is. An incremental '
                  'backup restores the whole volume as it was then.')


class RestoreOntoView(_RestoreView):
    form_class = project_forms.RestoreOntoForm
    modal_id = 'restore_onto_modal'
    modal_header = _('Restore Backup onto Volume')
    page_title = _('Restore Backup onto Volume')
    submit_url = 'horizon:project:automated_backups:restore_onto'
    form_help = _('The volume\'s data is overwritten with the backup\'s. '
                  'The volume must be available and at least as large as '
                  'the backup.')

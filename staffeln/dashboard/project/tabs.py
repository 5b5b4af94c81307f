"""Full and incremental backups on their own tabs, each paged by the
API's marker and limit."""

from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs

from staffeln.dashboard import api
from staffeln.dashboard.project import tables

DETAIL_TABLE = 'horizon/common/_detail_table.html'


class _BackupsTab(tabs.TableTab):
    template_name = DETAIL_TABLE
    backup_type = None
    _more = False

    def _backups(self):
        request = self.tab_group.request
        table = self.table_classes[0]
        marker = request.GET.get(table._meta.pagination_param)
        try:
            backups, self._more = api.backup_list(
                request, marker=marker, type=self.backup_type,
                **self.tab_group.kwargs['scope'])
        except Exception:
            exceptions.handle(request, _('Unable to retrieve backups.'))
            return []
        return backups

    def has_more_data(self, table):
        return self._more


class FullTab(_BackupsTab):
    table_classes = (tables.FullBackupsTable,)
    name = _('Full')
    slug = 'full'
    backup_type = 'full'

    def get_full_data(self):
        return self._backups()


class IncrementalTab(_BackupsTab):
    table_classes = (tables.IncrementalBackupsTable,)
    name = _('Incremental')
    slug = 'incremental'
    backup_type = 'incremental'

    def get_incremental_data(self):
        return self._backups()


class BackupTabs(tabs.TabGroup):
    slug = 'automated_backups'
    tabs = (FullTab, IncrementalTab)
    sticky = True

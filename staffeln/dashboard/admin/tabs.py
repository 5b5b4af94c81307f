"""Backup Protection's tabs: projects, worst first, and policies."""

from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import tabs
from openstack_dashboard.api import keystone

from staffeln.dashboard.admin import tables
from staffeln.dashboard import api

DETAIL_TABLE = 'horizon/common/_detail_table.html'


def worst_first(projects: list) -> list:
    """RPO breaches first, then failures, then by name."""
    return sorted(projects, key=lambda p: (-(p.rpo_breaches or 0),
                                           -(p.failures_last_day or 0),
                                           p.project_name))


class ProjectsTab(tabs.TableTab):
    table_classes = (tables.ProjectsTable,)
    name = _('Projects')
    slug = 'projects'
    template_name = DETAIL_TABLE

    def get_projects_data(self):
        request = self.tab_group.request
        try:
            projects = api.stats(request).projects
        except Exception:
            exceptions.handle(request, _('Unable to retrieve statistics.'))
            return []
        try:
            names = {p.id: p.name for p in
                     keystone.tenant_list(request, admin=True)[0]}
        except Exception:
            names = {}
        try:
            settings = api.project_settings_list(request)
        except Exception:
            exceptions.handle(request,
                              _('Unable to retrieve the projects\' '
                                'settings.'))
            settings = {}
        for project in projects:
            project['project_name'] = names.get(project.project_id,
                                                project.project_id)
            chosen = settings.get(project.project_id) or {}
            project['paused'] = chosen.get('paused', False)
            project['digest_recipients'] = chosen.get('digest_recipients',
                                                      [])
        return worst_first(projects)


class PoliciesTab(tabs.TableTab):
    table_classes = (tables.PoliciesTable,)
    name = _('Policies')
    slug = 'policies'
    template_name = DETAIL_TABLE

    def get_policies_data(self):
        request = self.tab_group.request
        try:
            return api.policy_list(request, all_projects=True)
        except Exception:
            exceptions.handle(request, _('Unable to retrieve policies.'))
            return []


class ProtectionTabs(tabs.TabGroup):
    slug = 'backup_protection'
    tabs = (ProjectsTab, PoliciesTab)
    sticky = True

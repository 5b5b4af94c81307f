"""Admin → Backup Protection: the projects' protection and the
policies."""

from django.urls import reverse
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import tabs

from staffeln.dashboard.admin import forms as admin_forms
from staffeln.dashboard.admin import tables as admin_tables
from staffeln.dashboard.admin import tabs as admin_tabs
from staffeln.dashboard import api

INDEX_URL = 'horizon:admin:backup_protection:index'


class IndexView(tabs.TabbedTableView):
    tab_group_class = admin_tabs.ProtectionTabs
    template_name = 'staffeln_dashboard/admin/index.html'
    page_title = _('Backup Protection')

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        try:
            context['total'] = api.stats(self.request).total
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to retrieve statistics.'))
        return context


_POLICY_HELP = _('A schedule is an interval (6h), a cron expression '
                 '(0 2 * * 1,3,5), "daily at 02:00" or "weekly on mon,fri '
                 'at 02:00", read in the policy\'s time zone, as is the '
                 'window. Staffeln checks the policy whole before it is '
                 'saved.')


class CreatePolicyView(forms.ModalFormView):
    form_class = admin_forms.CreatePolicyForm
    template_name = 'staffeln_dashboard/form.html'
    modal_id = 'create_policy_modal'
    modal_header = _('Create Protection Policy')
    page_title = _('Create Protection Policy')
    submit_label = _('Create Policy')
    submit_url = reverse_lazy('horizon:admin:backup_protection:'
                              'create_policy')
    success_url = reverse_lazy(INDEX_URL)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['form_help'] = _POLICY_HELP
        return context


class _EditView(forms.ModalFormView):
    """A modal form that changes one object, named in the URL."""

    template_name = 'staffeln_dashboard/form.html'
    submit_label = _('Save')
    success_url = reverse_lazy(INDEX_URL)
    #: The form's own URL, and the URL argument that names the object.
    submit_route = ''
    url_kwarg = ''
    form_help = ''

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context['submit_url'] = reverse(
            self.submit_route, args=(self.kwargs[self.url_kwarg],))
        context['form_help'] = self.form_help
        return context


class UpdatePolicyView(_EditView):
    form_class = admin_forms.UpdatePolicyForm
    modal_id = 'update_policy_modal'
    modal_header = _('Edit Protection Policy')
    page_title = _('Edit Protection Policy')
    submit_route = 'horizon:admin:backup_protection:update_policy'
    url_kwarg = 'name'
    form_help = _POLICY_HELP

    def get_initial(self):
        try:
            policy = api.policy_get(self.request, self.kwargs['name'])
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to retrieve the policy.'),
                              redirect=reverse(INDEX_URL))
        initial = {key: policy.get(key) for key in (
            'name', 'description', 'schedule', 'timezone', 'window',
            'jitter', 'full_every', 'public', 'enabled', 'projects')}
        text = admin_tables.duration_text
        initial.update(retention=text(policy.get('retention_s')),
                       full_interval=text(policy.get('full_interval_s')),
                       keep=','.join(f'{rule}={count}' for rule, count in
                                     (policy.get('keep') or {}).items()))
        return initial


class ProjectSettingsView(_EditView):
    form_class = admin_forms.ProjectSettingsForm
    modal_id = 'project_settings_modal'
    modal_header = _('Edit Project Settings')
    page_title = _('Edit Project Settings')
    submit_route = 'horizon:admin:backup_protection:project_settings'
    url_kwarg = 'project_id'
    form_help = _(
        'The digest goes to the project\'s members with an e-mail address '
        'and to these extra recipients. While the project\'s protection '
        'is paused, none of its backups starts.')

    def get_initial(self):
        project_id = self.kwargs['project_id']
        try:
            settings = api.project_settings_get(self.request, project_id)
        except Exception:
            exceptions.handle(self.request,
                              _('Unable to retrieve the project\'s '
                                'settings.'),
                              redirect=reverse(INDEX_URL))
        return {'project_id': project_id,
                'default_policy': settings.default_policy or '',
                'paused': settings.paused,
                'digest_recipients': '\n'.join(settings.digest_recipients)}

"""Creating and changing a protection policy.

The form checks what it can read itself (a window's shape, a name's
length); everything else (a cron expression, a duration, a time zone,
keep rules, the operator's bounds) is staffeln-api's to check, and its
refusal is shown on the field it names.
"""

from django.core.exceptions import ValidationError
from django.core import validators
from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages
from openstack_dashboard.api import keystone

from staffeln.dashboard import api
from staffeln.dashboard import forms as api_forms

#: As many extra digest recipients as staffeln-api takes.
MAX_RECIPIENTS = 20
WINDOW = r'^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$'
#: The fields sent to the API as they are, text or empty.
TEXT_FIELDS = ('description', 'schedule', 'timezone', 'window',
               'retention', 'keep', 'full_interval')


class PolicyForm(api_forms.ApiForm):
    name = forms.RegexField(
        max_length=64, regex=r'^[A-Za-z0-9][A-Za-z0-9._-]*$',
        label=_('Name'),
        error_messages={'invalid': _('Letters, digits, ".", "_" and "-", '
                                     'starting with a letter or digit.')})
    description = forms.CharField(max_length=255, required=False,
                                  label=_('Description'))
    schedule = forms.CharField(
        max_length=255, label=_('Schedule'),
        help_text=_('An interval (6h), a cron expression (0 2 * * 1,3,5), '
                    '"daily at 02:00" or "weekly on mon,fri at 02:00".'))
    timezone = forms.CharField(max_length=64, initial='UTC',
                               label=_('Time Zone'),
                               help_text=_('An IANA zone: Europe/Berlin.'))
    window = forms.RegexField(
        regex=WINDOW, required=False, label=_('Window'),
        help_text=_('HH:MM-HH:MM in the policy\'s zone, for example '
                    '22:00-06:00; empty: any time.'),
        error_messages={'invalid': _('A window is HH:MM-HH:MM, for example '
                                     '22:00-06:00.')})
    jitter = forms.BooleanField(required=False, initial=True,
                                label=_('Spread the volumes over the '
                                        'window (jitter)'))
    full_every = forms.IntegerField(
        min_value=1, max_value=1000, required=False,
        label=_('Full Backup Every'),
        help_text=_('Every Nth backup is a full one (1: all full).'))
    full_interval = forms.CharField(
        max_length=32, required=False, label=_('Full Backup Interval'),
        help_text=_('A full backup once the last one is this old (7d).'))
    retention = forms.CharField(
        max_length=32, required=False, label=_('Retention'),
        help_text=_('How long backups are kept (2w, 36h); empty: the '
                    'operator\'s default.'))
    keep = forms.CharField(
        max_length=255, required=False, label=_('Keep Rules'),
        help_text=_('daily=7,weekly=4,monthly=12'))
    public = forms.BooleanField(required=False, label=_('Public'),
                                help_text=_('For every project.'))
    enabled = forms.BooleanField(required=False, initial=True,
                                 label=_('Enabled'))
    projects = forms.MultipleChoiceField(
        required=False, label=_('Granted To'),
        widget=forms.SelectMultiple(attrs={'size': 6}),
        help_text=_('The projects that may use a policy that is not '
                    'public.'))

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        try:
            projects = keystone.tenant_list(request, admin=True)[0]
        except Exception:
            projects = []
            exceptions.handle(request, _('Unable to retrieve projects.'))
        self.fields['projects'].choices = sorted(
            ((p.id, p.name) for p in projects), key=lambda c: c[1])

    def fields_to_send(self, data: dict) -> dict:
        body = {key: data[key] or None for key in TEXT_FIELDS}
        body.update(jitter=data['jitter'], public=data['public'],
                    enabled=data['enabled'], full_every=data['full_every'])
        return body


class CreatePolicyForm(PolicyForm):

    def handle(self, request, data):
        body = self.fields_to_send(data)
        body.update(name=data['name'], projects=data['projects'])
        policy = self.call(api.policy_create, request, body)
        if policy is None:
            return False
        messages.success(request, _('Created policy "%s".') % policy.name)
        return policy


class UpdatePolicyForm(PolicyForm):

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        self.fields['name'].widget.attrs['readonly'] = True

    def clean_name(self):
        return self.initial['name']

    def handle(self, request, data):
        body = self.fields_to_send(data)
        before = set(self.initial.get('projects') or ())
        after = set(data['projects'])
        body.update(grant=sorted(after - before),
                    revoke=sorted(before - after))
        policy = self.call(api.policy_update, request, data['name'], body)
        if policy is None:
            return False
        messages.success(request, _('Changed policy "%s".') % policy.name)
        return policy


class ProjectSettingsForm(api_forms.ApiForm):
    """A project's digest recipients, default policy and pause."""

    project_id = forms.CharField(widget=forms.HiddenInput())
    digest_recipients = forms.CharField(
        required=False, label=_('Digest Recipients'),
        widget=forms.Textarea(attrs={'rows': 4}),
        help_text=_('E-mail addresses, one a line (at most 20), besides '
                    'the project\'s members.'))
    default_policy = forms.ChoiceField(
        required=False, label=_('Default Policy'),
        help_text=_('The policy of the project\'s servers that name '
                    'none.'))
    paused = forms.BooleanField(required=False,
                                label=_('Pause the project\'s protection'))

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        try:
            policies = api.policy_list(request, all_projects=True)
        except Exception:
            policies = []
            exceptions.handle(request, _('Unable to retrieve policies.'))
        self.fields['default_policy'].choices = [
            ('', _('The global default'))] + [
            (p.name, p.name) for p in policies]

    def clean_digest_recipients(self):
        addresses = self.cleaned_data['digest_recipients'].replace(
            ',', '\n').split()
        for address in addresses:
            try:
                validators.validate_email(address)
            except ValidationError:
                raise forms.ValidationError(
                    _('"%s" is not an e-mail address.') % address) from None
        if len(addresses) > MAX_RECIPIENTS:
            raise forms.ValidationError(
                _('At most %d recipients.') % MAX_RECIPIENTS)
        return addresses

    def handle(self, request, data):
        settings = self.call(
            api.project_settings_update, request, data['project_id'],
            digest_recipients=data['digest_recipients'],
            default_policy=data['default_policy'] or None,
            paused=data['paused'])
        if settings is None:
            return False
        messages.success(request, _('Saved the settings of project %s.')
                         % data['project_id'])
        return settings

"""Restoring an automated backup: onto a new volume or an existing one."""

from django.utils.translation import gettext_lazy as _
from horizon import exceptions
from horizon import forms
from horizon import messages
from openstack_dashboard.api import cinder

from staffeln.dashboard import api
from staffeln.dashboard import forms as api_forms


class RestoreForm(api_forms.ApiForm):
    name = forms.CharField(max_length=255, required=False,
                           label=_('Volume Name'),
                           help_text=_('The new volume\'s name (at most '
                                       '255 characters).'))
    size = forms.IntegerField(min_value=1, required=False,
                              label=_('Size (GiB)'),
                              help_text=_('No smaller than the backup; the '
                                          'backup\'s size by default.'))
    availability_zone = forms.ChoiceField(label=_('Availability Zone'),
                                          required=False)

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        backup = self.initial['backup']
        self.fields['size'].min_value = backup.size_gb
        self.fields['size'].widget.attrs['min'] = backup.size_gb
        choices = [('', _('Any Availability Zone'))]
        try:
            choices += [(zone.zoneName, zone.zoneName) for zone in
                        cinder.availability_zone_list(request)
                        if zone.zoneState.get('available')]
        except Exception:
            exceptions.handle(request, _('Unable to retrieve availability '
                                         'zones.'))
        self.fields['availability_zone'].choices = choices

    def clean_size(self):
        size = self.cleaned_data.get('size')
        backup = self.initial['backup']
        if size is not None and size < backup.size_gb:
            raise forms.ValidationError(
                _('The volume must be at least as large as the backup '
                  '(%(size)s GiB).') % {'size': backup.size_gb})
        return size

    def handle(self, request, data):
        backup = self.initial['backup']
        restore = self.call(api.restore_create, request, backup.id,
                            name=data['name'], size=data['size'],
                            availability_zone=data['availability_zone'])
        if restore is None:
            return False
        name = restore.get('volume_name') or restore.volume_id
        messages.success(request, _('Restoring the backup to the new volume '
                                    '"%s".') % name)
        return restore


class RestoreOntoForm(api_forms.ApiForm):
    volume_id = forms.ChoiceField(
        label=_('Volume'),
        help_text=_('An available volume of this project, at least as '
                    'large as the backup. Its data is overwritten.'))
    api_fields = {'volume': 'volume_id'}

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        backup = self.initial['backup']
        # Filtered here, not by Cinder: a Cinder whose resource filters do
        # not allow ``status`` refuses a listing filtered by it.
        try:
            volumes = cinder.volume_list(request)
        except Exception:
            volumes = []
            exceptions.handle(request, _('Unable to retrieve volumes.'))
        choices = [(v.id, f'{v.name or v.id} ({v.size} GiB)')
                   for v in volumes
                   if v.status == 'available' and v.size >= backup.size_gb]
        self.fields['volume_id'].choices = \
            [('', _('Select a volume'))] + choices

    def handle(self, request, data):
        backup = self.initial['backup']
        restore = self.call(api.restore_create, request, backup.id,
                            volume_id=data['volume_id'])
        if restore is None:
            return False
        name = restore.get('volume_name') or restore.volume_id
        messages.success(request, _('Restoring the backup onto volume '
                                    '"%s".') % name)
        return restore

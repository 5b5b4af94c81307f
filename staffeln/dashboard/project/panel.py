"""Project → Volumes → Automated Backups."""

from django.utils.translation import gettext_lazy as _
import horizon


class AutomatedBackups(horizon.Panel):
    name = _('Automated Backups')
    slug = 'automated_backups'
    permissions = ('openstack.services.backup-automation',)

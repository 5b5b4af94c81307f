"""Admin → Volume → Backup Protection."""

from django.utils.translation import gettext_lazy as _
import horizon


class BackupProtection(horizon.Panel):
    name = _('Backup Protection')
    slug = 'backup_protection'
    permissions = ('openstack.roles.admin',
                   'openstack.services.backup-automation')

# Admin -> Volume -> Backup Protection: every project's protection, worst
# first, and the protection policies.
PANEL = 'backup_protection'
PANEL_DASHBOARD = 'admin'
PANEL_GROUP = 'volume'
ADD_PANEL = 'staffeln.dashboard.admin.panel.BackupProtection'

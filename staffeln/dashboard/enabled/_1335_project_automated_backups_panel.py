# Project -> Volumes -> Automated Backups: the volumes Staffeln protects,
# their full and incremental backups, backup now, restore, pause/resume.
PANEL = 'automated_backups'
PANEL_DASHBOARD = 'project'
PANEL_GROUP = 'volumes'
ADD_PANEL = 'staffeln.dashboard.project.panel.AutomatedBackups'

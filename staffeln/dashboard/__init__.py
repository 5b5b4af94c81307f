"""The Horizon plugin: Automated Backups for projects, Backup Protection
for admins.

Horizon loads it through the files of :mod:`staffeln.dashboard.enabled`;
it is a client of staffeln-api (the catalog's ``backup-automation``
endpoint, called with the user's token) and never reads Staffeln's
database. Only Horizon imports it, so Staffeln itself does not need
Horizon installed.
"""

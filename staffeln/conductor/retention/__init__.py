"""Retention: delete the backups the retention rules no longer keep, safely.

* :mod:`.planning`: which backups of every volume are due, and why the
  others are kept (:mod:`staffeln.rules.retention` decides, volume by
  volume);
* :mod:`.deleting`: deleting the due backups in an order Cinder accepts;
* :mod:`.runner`: one retention run, both together.

Only backups of Staffeln's own tasks are ever deleted. Backups of failed
tasks are the backup engine's (its cleanup step), not retention's.
"""

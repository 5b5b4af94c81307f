"""Whether a backup may be deleted: the delete hook's decision, without I/O.

A backup that Staffeln made stays Staffeln's until Staffeln releases it:

* its task is ``deleting`` or ``deleted`` (retention sets ``deleting`` just
  before it asks Cinder to delete the backup), or ``cleanup`` or ``failed``
  (Staffeln cleans up what a failed task left behind): the delete is allowed;
* its task is in any other state (queued, starting, creating, available):
  the delete is refused.

A backup Staffeln has no task for may be a stray: a second backup an
ambiguous create left behind (see :class:`staffeln.db.models.StrayBackup`).
Staffeln deletes its strays itself: one it has released (``deleting``,
``deleted``) may be deleted, one it has only found may still become its
task's backup and is refused.

A backup Staffeln knows nothing of is refused when its metadata carries the
automated marker (a Staffeln backup whose task row is not written yet, or was
lost) and allowed otherwise. The database wins over the marker: a released
backup may be deleted although it carries the marker.
"""

import collections.abc
import dataclasses

from oslo_utils import strutils

from staffeln.db import api_strays
from staffeln.db import states

#: Task states in which Staffeln has let go of its backup.
RELEASED = frozenset({states.DELETING, states.DELETED, states.CLEANUP,
                      states.FAILED})


@dataclasses.dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def has_automated_marker(metadata: collections.abc.Mapping | None,
                         key: str) -> bool:
    """Whether ``metadata`` marks the backup as made by Staffeln.

    The marker is true for ``True`` and for any true string (``True``,
    ``true``, ``yes``, ``1``, ``on``, in any case).
    """
    if not metadata or key not in metadata:
        return False
    return strutils.bool_from_string(metadata[key], default=False)


def allowing_role(roles: collections.abc.Iterable[str],
                  allow_roles: collections.abc.Iterable[str]) -> str | None:
    """The first of ``roles`` that ``[api] allow_delete_roles`` lists."""
    allowed = set(allow_roles)
    for role in roles:
        if role in allowed:
            return role
    return None


def decide(task_status: str | None, automated_marker: bool,
           stray_status: str | None = None) -> Decision:
    """Decide from the status of the backup's task (None: no task).

    ``stray_status`` is the status of the backup as a stray (None: it is
    none); it counts only when no task has the backup.
    """
    if task_status is not None:
        if task_status in RELEASED:
            return Decision(True, f'released by Staffeln (task '
                                  f'{task_status})')
        return Decision(False, f'made by Staffeln and not released (task '
                               f'{task_status})')
    if stray_status is not None:
        if stray_status in api_strays.RELEASED:
            return Decision(True, f'a duplicate released by Staffeln '
                                  f'({stray_status})')
        return Decision(False, 'a duplicate Staffeln has not released yet')
    if automated_marker:
        return Decision(False, 'carries the automated backup marker')
    return Decision(True, 'not a Staffeln backup')

"""The backup task state machine.

::

    queued -> starting -> creating -> available -> deleting -> deleted
      |          |   |         |           ^            |
      |          |   |         |           +-(refused)--+
      |          |   +---------+--> cleanup -> failed
      +----------+--(queued again after a crash, or failed)

* ``queued``: the volume is due; the task waits for a slot and the quota.
* ``starting``: intent recorded; the create call is about to be (or was)
  sent. After a crash the backup is looked up by its task marker and adopted,
  or the task goes back to ``queued``.
* ``creating``: Cinder accepted the backup; it is polled until it ends.
* ``available``: a good backup.
* ``cleanup``: the task failed and a Cinder backup it made must be deleted.
* ``failed``: the task failed and nothing of it is left in Cinder.
* ``deleting``: retention released the backup; the delete is (being) sent.
* ``deleted``: the backup is gone from Cinder.
"""

QUEUED = 'queued'
STARTING = 'starting'
CREATING = 'creating'
AVAILABLE = 'available'
CLEANUP = 'cleanup'
FAILED = 'failed'
DELETING = 'deleting'
DELETED = 'deleted'

ALL = (QUEUED, STARTING, CREATING, AVAILABLE, CLEANUP, FAILED, DELETING,
       DELETED)

#: States in which the task still has work a conductor must do.
ACTIVE = (QUEUED, STARTING, CREATING, CLEANUP, DELETING)
#: States in which a backup occupies one of Cinder's backup slots.
IN_FLIGHT = (STARTING, CREATING)
#: States in which a backup of the volume is queued or being made: at most
#: one task per volume and policy is (the database enforces it).
UNDER_WAY = (QUEUED, STARTING, CREATING)
#: States that end a task.
FINAL = (FAILED, DELETED)

TRANSITIONS = {
    QUEUED: (STARTING, FAILED),
    STARTING: (CREATING, QUEUED, CLEANUP, FAILED),
    CREATING: (AVAILABLE, CLEANUP),
    AVAILABLE: (DELETING,),
    CLEANUP: (FAILED,),
    DELETING: (DELETED, AVAILABLE),
    FAILED: (),
    DELETED: (),
}


class InvalidTransition(ValueError):
    pass


def check(current: str, new: str) -> None:
    if new not in TRANSITIONS.get(current, ()):
        raise InvalidTransition(f'a task cannot go from {current} to {new}')

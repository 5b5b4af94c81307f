"""Recovery point objective: is a volume's newest good backup as recent as
its policy promises?

A volume promises a good backup every ``interval`` (its effective interval
after clamping); a backup may start up to ``margin`` late (discovery, then
the backup loop), so only a backup older than both together breaks the
promise.
"""

import datetime

MET = 'met'
BREACHED = 'breached'
#: Never backed up, and not known for long enough to be late.
PENDING = 'pending'


def state(now: datetime.datetime, interval: datetime.timedelta,
          margin: datetime.timedelta,
          newest_good: datetime.datetime | None,
          known_since: datetime.datetime) -> str:
    """``met``, ``breached`` or ``pending``."""
    allowed = interval + margin
    if newest_good is None:
        return PENDING if now - known_since <= allowed else BREACHED
    return MET if now - newest_good <= allowed else BREACHED

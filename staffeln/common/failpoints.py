"""Named points where a test can kill the process, to prove crash safety.

``STAFFELN_FAILPOINTS=after_create`` makes the process kill itself with
SIGKILL when it reaches :func:`hit` ``('after_create')``: exactly what a
power cut or an OOM kill would do there. Unset (always, in production),
:func:`hit` does nothing.
"""

import os
import signal

ENV = 'STAFFELN_FAILPOINTS'


def hit(name: str) -> None:
    active = os.environ.get(ENV)
    if active and name in active.split(','):
        os.kill(os.getpid(), signal.SIGKILL)

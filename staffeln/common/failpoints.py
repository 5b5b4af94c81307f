"""Named points where a test can stop the process, to prove crash safety.

The backup engine calls :func:`hit` at each step of the task state machine
(``after_schedule``, ``before_create``, ``after_create``, ``after_record``,
``before_finish``, ...). Nothing happens there unless a handler has been
installed with :func:`install`, which only the test harness does
(``python -m staffeln.tests.failpoints``): no setting, environment variable
or file of a deployment can reach it.
"""

from typing import Callable

_handler: Callable[[str], None] | None = None


def install(handler: Callable[[str], None] | None) -> None:
    """Call ``handler(name)`` at every failpoint from now on (None: stop)."""
    global _handler
    _handler = handler


def hit(name: str) -> None:
    if _handler is not None:
        _handler(name)

"""Run a Staffeln command that kills itself at a named failpoint.

    python -m staffeln.tests.failpoints after_create[,before_finish] \\
        staffeln-manage --config-file staffeln.conf run-once

The process kills itself with SIGKILL when it reaches one of the named
points (see :mod:`staffeln.common.failpoints`): exactly what a power cut or
the OOM killer would do there. ``-`` instead of the names installs nothing.
The command is one of Staffeln's console scripts, run in this process.
"""

import os
import signal
import sys

from staffeln.common import failpoints

COMMANDS = {
    'staffeln-manage': 'staffeln.cmd.manage',
    'staffeln-conductor': 'staffeln.cmd.conductor',
}


def kill_at(names: set[str]):
    def handler(name: str) -> None:
        if name in names:
            os.kill(os.getpid(), signal.SIGKILL)
    return handler


def main(argv: list[str]) -> int:
    if len(argv) < 3 or argv[2] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    names, command = argv[1], argv[2]
    if names != '-':
        failpoints.install(kill_at(set(names.split(','))))
    module = __import__(COMMANDS[command], fromlist=['main'])
    return module.main([command] + argv[3:])


if __name__ == '__main__':
    sys.exit(main(sys.argv))

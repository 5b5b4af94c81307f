"""Several staffeln-api processes on one listening socket.

One Python process runs the application on one CPU at a time, whatever its
number of threads. With ``[api] processes`` above 1, ``staffeln-api`` binds
its socket, then forks that many children that each accept connections on
it and answer them with their own ``[api] workers`` threads and their own
database pool. The parent only watches: a child that dies is replaced, and
SIGTERM or SIGINT stops every child (each finishes the requests it is
answering) before the parent exits.
"""

import logging as std_logging
import os
import signal
import threading
import time

from oslo_log import log as logging

LOG = logging.getLogger(__name__)

#: A child that dies sooner than this after its start is replaced only
#: after this long, so a child that cannot run does not fork in a loop.
RESPAWN_PAUSE = 1.0


def _child(server) -> None:
    """Serve in a forked child until SIGTERM or SIGINT; never returns."""
    code = 0
    try:
        def stop(signum, frame):
            threading.Thread(target=server.stop, name='stop').start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        server.serve()
    except BaseException:
        LOG.exception('staffeln-api process %d failed', os.getpid())
        code = 1
    finally:
        std_logging.shutdown()  # flush what this process logged
        os._exit(code)


class Supervisor:
    """Forks ``processes`` children that serve ``server``'s bound socket."""

    def __init__(self, server, processes: int):
        self.server = server
        self.processes = processes
        self.children: dict[int, float] = {}
        self.stopping = False

    def _spawn(self) -> None:
        pid = os.fork()
        if pid == 0:
            # Until the child has its own handlers, the parent's stop()
            # must not reach the other children from here.
            self.children = {}
            _child(self.server)
        self.children[pid] = time.monotonic()
        if self.stopping:  # stopped while it was being forked
            os.kill(pid, signal.SIGTERM)

    def stop(self, signum=None, frame=None) -> None:
        """Stop every child (a signal handler)."""
        self.stopping = True
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    def run(self) -> int:
        """Serve until stopped; 0 when every child stopped cleanly."""
        for _ in range(self.processes):
            self._spawn()
        failed = False
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            started = self.children.pop(pid, None)
            if started is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            if self.stopping:
                failed |= code != 0
                continue
            LOG.error('staffeln-api process %d exited (%d); starting '
                      'another', pid, code)
            if time.monotonic() - started < RESPAWN_PAUSE:
                time.sleep(RESPAWN_PAUSE)
            if not self.stopping:
                self._spawn()
        return 1 if failed else 0

"""Serve the simulated cloud over HTTP, in a thread or as a process.

    python -m staffeln.tests.simcloud --port 8800 --seed demo|bench|empty
        [--projects P --servers S --tagged T --volumes-per-server V]
        [--realtime] [--backup-duration SECONDS]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
import json
import signal
import sys
import threading
from typing import Any

from werkzeug import serving

from staffeln.common import clock as clock_mod
from staffeln.tests.simcloud import app as app_mod
from staffeln.tests.simcloud import seed as seed_mod
from staffeln.tests.simcloud import state


class _QuietHandler(serving.WSGIRequestHandler):
    """No access log: benchmarks make a hundred thousand calls."""

    def log_request(self, code: int | str = '-',
                    size: int | str = '-') -> None:
        pass


class SimServer:
    """The cloud's WSGI app on a werkzeug threaded server, in a thread."""

    def __init__(self, cloud: state.Cloud, host: str = '127.0.0.1',
                 port: int = 0) -> None:
        self.cloud = cloud
        self.host = host
        self.port = port
        self._server: serving.BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError('the server is not started')
        return f'http://{self.host}:{self._server.server_port}'

    def start(self) -> SimServer:
        self._server = serving.make_server(
            self.host, self.port, app_mod.create_app(self.cloud),
            threaded=True, request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name='simcloud', daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog='python -m staffeln.tests.simcloud',
        description='A simulated OpenStack (Keystone, Nova, Cinder) for '
                    'demos, tests and benchmarks.')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8800)
    parser.add_argument('--seed', default='demo',
                        choices=('demo', 'bench', 'empty'))
    parser.add_argument('--projects', type=int, default=10)
    parser.add_argument('--servers', type=int, default=1000)
    parser.add_argument('--tagged', type=int, default=None)
    parser.add_argument('--volumes-per-server', type=int, default=2)
    parser.add_argument('--realtime', action='store_true',
                        help='Use the wall clock instead of a manual clock '
                             'moved with POST /_sim/clock/advance.')
    parser.add_argument('--backup-duration', type=float, default=60.0,
                        help='Seconds a backup takes to become available.')
    return parser.parse_args(argv)


def build(args: argparse.Namespace) -> tuple[state.Cloud, dict[str, Any]]:
    clock = clock_mod.Clock() if args.realtime else clock_mod.ManualClock()
    cloud = state.Cloud(clock, backup_duration=args.backup_duration)
    summary = seed_mod.seed(cloud, args.seed, projects=args.projects,
                            servers=args.servers, tagged=args.tagged,
                            volumes_per_server=args.volumes_per_server)
    return cloud, summary


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    cloud, summary = build(args)
    server = SimServer(cloud, args.host, args.port).start()
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(json.dumps({
        'url': server.url,
        'auth_url': f'{server.url}/identity/v3',
        'admin': {'username': 'admin', 'password': state.ADMIN_PASSWORD,
                  'project_name': 'admin', 'user_domain_name': 'Default',
                  'project_domain_name': 'Default',
                  'region_name': 'RegionOne'},
        'clock': 'realtime' if args.realtime else 'manual',
        'seed': summary,
    }), flush=True)
    try:
        stop.wait()
    finally:
        server.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())

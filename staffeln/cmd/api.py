"""staffeln-api: serve the API with a production WSGI server.

``staffeln-api --config-file /etc/staffeln/staffeln.conf`` listens on
``[api] host:port`` with ``[api] workers`` threads (cheroot), HTTPS when
``[api] ssl_cert_file`` is set. SIGTERM or SIGINT stops it cleanly. A
configuration it cannot use is reported in one line on stderr, with exit
code 2; a port it cannot listen on, with exit code 1.
"""

import signal
import sys
import threading

from oslo_log import log as logging

from staffeln.api import app as api_app
from staffeln.api import prepare
from staffeln.api import server as api_server

LOG = logging.getLogger(__name__)

EXIT_CONFIG = 2
EXIT_SERVE = 1


def _error(message: str) -> None:
    print(f'staffeln-api: error: {message}', file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    try:
        conf = prepare.prepare_service(argv)
        server = api_server.build_server(conf, api_app.create_app(conf))
    except prepare.ConfigError as exc:
        _error(str(exc))
        return EXIT_CONFIG
    except (OSError, ValueError) as exc:
        # Certificate files that cannot be read or used.
        _error(f'cannot use the TLS files of [api]: '
               f'{" ".join(str(exc).split())}')
        return EXIT_CONFIG
    try:
        server.prepare()
    except OSError as exc:
        _error(f'cannot listen on {conf.api.host}:{conf.api.port}: '
               f'{" ".join(str(exc).split())}')
        return EXIT_SERVE

    def stop(signum, frame):
        LOG.info('Stopping on signal %s', signal.Signals(signum).name)
        threading.Thread(target=server.stop, name='stop').start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    LOG.info('staffeln-api serving on %s with %d threads', server.url,
             conf.api.workers)
    server.serve()
    LOG.info('staffeln-api stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main())

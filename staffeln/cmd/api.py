"""staffeln-api: serve the API with a production WSGI server.

``staffeln-api --config-file /etc/staffeln/staffeln.conf`` listens on
``[api] host:port``: an asyncio server reads each request whole, then runs
it on one of ``[api] workers`` threads (see :mod:`staffeln.api.server`),
in each of ``[api] processes`` processes that share the listening socket
(see :mod:`staffeln.api.processes`); HTTPS when ``[api] ssl_cert_file`` is
set. SIGTERM or SIGINT stops it
cleanly. A configuration it cannot use is reported in one line on stderr,
with exit code 2; a port it cannot listen on, with exit code 1.
"""

import os
import signal
import sys
import threading

from oslo_log import log as logging

from staffeln.api import app as api_app
from staffeln.api import processes as api_processes
from staffeln.api import server as api_server
from staffeln.cmd import prepare
from staffeln.common import exception
from staffeln import conf as staffeln_conf

LOG = logging.getLogger(__name__)

EXIT_CONFIG = 2
EXIT_SERVE = 1


def _error(message: str) -> None:
    print(f'staffeln-api: error: {message}', file=sys.stderr)


def prepare_api(argv: list[str], conf=None, **kwargs):
    """:func:`prepare.prepare_service` for the API.

    The API never waits for the database: ``[database] max_retries``
    defaults to 0, so a request that finds the database down is answered
    503 at once.
    """
    conf = staffeln_conf.CONF if conf is None else conf
    conf.set_default('max_retries', 0, group='database')
    return prepare.prepare_service(argv, conf, checks=[api_server.check_tls],
                                   **kwargs)


#: The configuration file read by a WSGI server when the environment names
#: none.
DEFAULT_CONFIG_FILE = '/etc/staffeln/staffeln.conf'


def _config_from_environ(environ) -> tuple[list[str], list[str]]:
    files = [path.strip()
             for path in environ.get('STAFFELN_CONFIG_FILES', '').split(',')
             if path.strip()]
    if not files and os.path.exists(DEFAULT_CONFIG_FILE):
        files = [DEFAULT_CONFIG_FILE]
    config_dir = environ.get('STAFFELN_CONFIG_DIR', '').strip()
    return files, [config_dir] if config_dir else []


def wsgi_application(environ=None, conf=None):
    """The application for a WSGI server, configured from the environment.

    The command line is the WSGI server's, so the configuration files come
    from ``STAFFELN_CONFIG_FILES`` (comma separated; default
    ``/etc/staffeln/staffeln.conf`` when it exists) and
    ``STAFFELN_CONFIG_DIR``. A configuration that cannot be used is
    reported in one line on stderr and ends the process (exit code 2).
    """
    files, dirs = _config_from_environ(
        os.environ if environ is None else environ)
    try:
        conf = prepare_api(['staffeln-api-wsgi'], conf=conf,
                           default_config_files=files,
                           default_config_dirs=dirs)
    except exception.ConfigurationError as exc:
        _error(prepare.one_line(exc))
        raise SystemExit(EXIT_CONFIG) from None
    return api_app.create_app(conf)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    try:
        conf = prepare_api(argv)
        server = api_server.build_server(conf, api_app.create_app(conf))
    except exception.ConfigurationError as exc:
        _error(prepare.one_line(exc))
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

    processes = conf.api.processes
    LOG.info('staffeln-api serving on %s with %d threads in each of %d '
             'processes', server.url, conf.api.workers, processes)
    if processes > 1:
        supervisor = api_processes.Supervisor(server, processes)

        def stop_all(signum, frame):
            LOG.info('Stopping on signal %s', signal.Signals(signum).name)
            supervisor.stop()

        signal.signal(signal.SIGTERM, stop_all)
        signal.signal(signal.SIGINT, stop_all)
        code = supervisor.run()
        LOG.info('staffeln-api stopped')
        return code

    def stop(signum, frame):
        LOG.info('Stopping on signal %s', signal.Signals(signum).name)
        threading.Thread(target=server.stop, name='stop').start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    server.serve()
    LOG.info('staffeln-api stopped')
    return 0


if __name__ == '__main__':
    sys.exit(main())

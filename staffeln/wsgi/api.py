"""staffeln-api for a WSGI server of your choice (uwsgi, gunicorn, mod_wsgi).

``staffeln.wsgi.api:application`` is the application; nothing is read or
set up until a server asks for that attribute (or calls
``init_application()``, the ``staffeln-api-wsgi`` script's entry point).

The command line of the WSGI server is not Staffeln's, so the configuration
files come from the environment:

* ``STAFFELN_CONFIG_FILES``: comma separated config files (default
  ``/etc/staffeln/staffeln.conf`` when it exists);
* ``STAFFELN_CONFIG_DIR``: a directory of ``*.conf`` files read after them.

For example::

    STAFFELN_CONFIG_FILES=/etc/staffeln/staffeln.conf \\
        gunicorn --bind 127.0.0.1:8808 --threads 16 \\
        staffeln.wsgi.api:application
"""

import os
import sys
import threading

from staffeln.api import app as api_app
from staffeln.cmd import api as api_cmd
from staffeln.cmd import prepare
from staffeln.common import exception

DEFAULT_CONFIG_FILE = '/etc/staffeln/staffeln.conf'

_lock = threading.Lock()
_application = None


def _config_from_environ(environ) -> tuple[list[str], list[str]]:
    files = [path.strip()
             for path in environ.get('STAFFELN_CONFIG_FILES', '').split(',')
             if path.strip()]
    if not files and os.path.exists(DEFAULT_CONFIG_FILE):
        files = [DEFAULT_CONFIG_FILE]
    config_dir = environ.get('STAFFELN_CONFIG_DIR', '').strip()
    return files, [config_dir] if config_dir else []


def init_application(environ=None):
    """The WSGI application, configured from the environment, built once.

    A configuration that cannot be used is reported in one line on stderr
    and ends the process (exit code 2), like the console script.
    """
    global _application
    with _lock:
        if _application is None:
            files, dirs = _config_from_environ(
                os.environ if environ is None else environ)
            try:
                conf = api_cmd.prepare_api(
                    ['staffeln-api-wsgi'], default_config_files=files,
                    default_config_dirs=dirs)
            except exception.ConfigurationError as exc:
                print(f'staffeln-api-wsgi: error: {prepare.one_line(exc)}',
                      file=sys.stderr)
                raise SystemExit(2) from None
            _application = api_app.create_app(conf)
        return _application


def __getattr__(name):
    # PEP 562: ``application`` is built when a WSGI server first asks.
    if name == 'application':
        return init_application()
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')

"""Process set-up shared by Staffeln's commands."""

import functools
import os
import re
import sys

from oslo_config import cfg
from oslo_log import log as logging

from staffeln.common import exception
from staffeln.db import api as db_api

LOG = logging.getLogger(__name__)

#: oslo.config names the file of a bad value in a LocationInfo repr.
_LOCATION = re.compile(r"from LocationInfo\(.*?detail='([^']*)'\)")


def prepare_service(argv: list, conf: cfg.ConfigOpts,
                    description: str | None = None) -> None:
    """Parse the configuration, set up logging and the database, once."""
    logging.register_options(conf)
    logging.set_defaults(default_log_levels=logging.get_default_log_levels()
                         + ['alembic=WARN'])
    conf(argv[1:], project='staffeln', prog=os.path.basename(argv[0]),
         description=description)
    logging.setup(conf, 'staffeln')
    _validate(conf)
    _check_state_path(conf)
    db_api.configure(conf)


def _validate(conf: cfg.ConfigOpts) -> None:
    """Read every option once, so a bad value stops the start-up.

    oslo.config converts values when they are first read; without this, a
    bad duration in a config file would only fail deep inside a loop.
    """
    def read(group, name):
        try:
            return getattr(conf[group] if group else conf, name)
        except (cfg.ConfigFileValueError, ValueError) as exc:
            where = f'[{group or "DEFAULT"}] {name}'
            message = _LOCATION.sub(r'in \1', str(exc))
            raise exception.ConfigurationError(f'{where}: {message}')
        except cfg.Error:
            return None  # an option of a plugin that is not loaded

    for name in conf:
        value = read(None, name)
        if isinstance(value, cfg.ConfigOpts.GroupAttr):
            for opt in conf[name]:
                read(name, opt)


def _check_state_path(conf) -> None:
    """Create state_path when the embedded SQLite database lives there."""
    if not conf.database.connection.startswith('sqlite:'):
        return
    try:
        os.makedirs(conf.state_path, exist_ok=True)
    except OSError as exc:
        raise exception.ConfigurationError(
            f'state_path {conf.state_path} cannot be created: '
            f'{exc.strerror}')


def run(main):
    """Turn configuration and set-up errors into one line and exit 2."""
    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        prog = os.path.basename(sys.argv[0])
        try:
            return main(*args, **kwargs)
        except (cfg.Error, exception.ConfigurationError) as exc:
            print(f'{prog}: error: {exc}', file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
    return wrapper

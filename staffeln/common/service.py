"""Process set-up shared by Staffeln's commands."""

import functools
import os
import sys

from oslo_config import cfg
from oslo_log import log as logging

from staffeln.common import exception
from staffeln.db import api as db_api

LOG = logging.getLogger(__name__)


def prepare_service(argv: list, conf: cfg.ConfigOpts,
                    description: str | None = None) -> None:
    """Parse the configuration, set up logging and the database, once."""
    logging.register_options(conf)
    conf(argv[1:], project='staffeln', prog=os.path.basename(argv[0]),
         description=description)
    logging.setup(conf, 'staffeln')
    _check_state_path(conf)
    db_api.configure(conf)


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

"""Process set-up shared by every entry point, done once.

:func:`prepare_service` parses the command line and the configuration
files, reads every option once (so a bad value stops the start-up with one
line naming it), sets up logging and points the database layer at
``[database]``. A configuration that cannot be used raises
:class:`~staffeln.common.exception.ConfigurationError`; :func:`run` turns
it into one line on stderr and exit code 2.
"""

import functools
import os
import re
import sys

from oslo_config import cfg
from oslo_log import log as logging

from staffeln.common import exception
from staffeln import conf as staffeln_conf
from staffeln.db import api as db_api

LOG = logging.getLogger(__name__)

#: oslo.config names the file of a bad value in a LocationInfo repr.
_LOCATION = re.compile(r"from LocationInfo\(.*?detail='([^']*)'\)")


def prepare_service(argv: list, conf: cfg.ConfigOpts | None = None,
                    description: str | None = None,
                    default_config_files: list[str] | None = None,
                    default_config_dirs: list[str] | None = None,
                    checks=()) -> cfg.ConfigOpts:
    """Parse the configuration, set up logging and the database, once.

    ``argv`` includes the program name. Each of ``checks`` is called with
    the configuration once every option has been read, before anything is
    set up; it raises ConfigurationError for a setting it refuses.
    """
    conf = staffeln_conf.CONF if conf is None else conf
    logging.register_options(conf)
    logging.set_defaults(default_log_levels=logging.get_default_log_levels()
                         + ['alembic=WARN'])
    try:
        conf(argv[1:], project='staffeln', prog=os.path.basename(argv[0]),
             description=description,
             default_config_files=default_config_files,
             default_config_dirs=default_config_dirs)
    except cfg.Error as exc:
        raise exception.ConfigurationError(one_line(exc)) from None
    validate(conf)
    for check in checks:
        check(conf)
    logging.setup(conf, 'staffeln')
    _check_state_path(conf)
    db_api.configure(conf)
    return conf


def one_line(exc: BaseException) -> str:
    text = _LOCATION.sub(r'in \1', str(exc))
    return ' '.join(text.split()) or type(exc).__name__


def validate(conf: cfg.ConfigOpts) -> None:
    """Read every option once, so a bad value stops the start-up.

    oslo.config converts values when they are first read; without this, a
    bad duration in a config file would only fail deep inside a loop.
    """
    def read(group, name):
        try:
            return getattr(conf[group] if group else conf, name)
        except (cfg.ConfigFileValueError, ValueError) as exc:
            where = f'[{group or "DEFAULT"}] {name}'
            raise exception.ConfigurationError(
                f'{where}: {one_line(exc)}') from None
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
            print(f'{prog}: error: {one_line(exc)}', file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
    return wrapper

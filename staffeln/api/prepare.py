"""Configuration and logging of the staffeln-api process, done once.

Used by the console script (:mod:`staffeln.cmd.api`) and the WSGI module
(:mod:`staffeln.wsgi.api`). A configuration that cannot be used raises
:class:`ConfigError` with a one-line message, for the caller to print.
"""

from oslo_config import cfg
from oslo_log import log as logging

from staffeln import conf as staffeln_conf
from staffeln.db import api as db_api


class ConfigError(Exception):
    """The configuration cannot be used; the message says why, in a line."""


def _one_line(exc: Exception) -> str:
    return ' '.join(str(exc).split()) or type(exc).__name__


def _check(conf: cfg.ConfigOpts) -> None:
    """Read the options the API uses now, so bad values fail at start."""
    for group in ('api', 'database', 'conductor'):
        dict(conf[group].items())
    api = conf.api
    if bool(api.ssl_cert_file) != bool(api.ssl_key_file):
        raise ConfigError('[api] ssl_cert_file and ssl_key_file must be set '
                          'together')
    if api.ssl_ca_file and not api.ssl_cert_file:
        raise ConfigError('[api] ssl_ca_file needs ssl_cert_file and '
                          'ssl_key_file')


def prepare_service(argv: list[str], conf: cfg.ConfigOpts | None = None,
                    default_config_files: list[str] | None = None,
                    default_config_dirs: list[str] | None = None,
                    ) -> cfg.ConfigOpts:
    """Parse the command line and config files; set up logging and the DB.

    ``argv`` includes the program name. The API never waits for the
    database: ``[database] max_retries`` defaults to 0 here, so a request
    that finds the database down is answered 503 at once.
    """
    conf = conf if conf is not None else staffeln_conf.CONF
    logging.register_options(conf)
    conf.set_default('max_retries', 0, group='database')
    try:
        conf(argv[1:], project='staffeln', prog='staffeln-api',
             default_config_files=default_config_files,
             default_config_dirs=default_config_dirs)
        _check(conf)
        logging.setup(conf, 'staffeln')
        db_api.configure(conf)
    except ConfigError:
        raise
    except (cfg.Error, ValueError, OSError) as exc:
        raise ConfigError(_one_line(exc)) from exc
    return conf

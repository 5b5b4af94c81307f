"""The WSGI application of staffeln-api: ``create_app(conf)``.

The returned Flask application serves:

* ``POST /v1/backup``: the delete hook (no token), :mod:`backup_hook`;
* ``GET /healthcheck``: oslo.middleware's health check with a database
  check (no token), :mod:`healthcheck`;
* ``GET /`` and ``GET /v1``: the version documents (no token),
  :mod:`versions`;
* ``/v1/tasks``: the read-only task API (a token), :mod:`tasks`;
* ``GET /metrics``: Prometheus metrics (no Keystone token; ``[metrics]
  bearer_token`` when set), :mod:`metrics`.

The database is whatever :mod:`staffeln.db.api`'s transaction context is
configured with (``db_api.configure(conf)``, done by the entry points).
"""

import flask
from oslo_config import cfg
from werkzeug.middleware import dispatcher

from staffeln.api import auth
from staffeln.api import authz
from staffeln.api import backup_hook
from staffeln.api import errors
from staffeln.api import healthcheck
from staffeln.api import metrics
from staffeln.api import metrics_conductors
from staffeln.api import tasks
from staffeln.api import versions
from staffeln.common import clock as clock_mod


def create_app(conf: cfg.ConfigOpts) -> flask.Flask:
    app = flask.Flask(__name__, static_folder=None)
    app.config.update(
        STAFFELN_CONF=conf,
        STAFFELN_HOOK=backup_hook.Settings.from_conf(conf),
        STAFFELN_ENFORCER=authz.make_enforcer(conf),
        MAX_CONTENT_LENGTH=conf.api.max_request_body_size,
        STAFFELN_CLOCK=clock_mod.Clock(),
        STAFFELN_CONDUCTORS=metrics_conductors.Reader(conf),
    )
    app.register_blueprint(backup_hook.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(versions.bp)
    app.register_blueprint(metrics.bp)
    errors.register(app)
    app.wsgi_app = dispatcher.DispatcherMiddleware(
        auth.wrap(app.wsgi_app, conf),
        {'/healthcheck': healthcheck.Healthcheck(conf)})
    return app

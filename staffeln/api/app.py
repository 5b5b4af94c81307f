"""The WSGI application of staffeln-api: ``create_app(conf)``.

The returned Flask application serves:

* ``POST /v1/backup``: the delete hook (no token), :mod:`backup_hook`;
* ``GET /healthcheck``: oslo.middleware's health check with a database
  check (no token), :mod:`healthcheck`;
* ``GET /`` and ``GET /v1``: the version documents (no token),
  :mod:`versions`;
* ``/v1/tasks``: the read-only task API (a token), :mod:`tasks`;
* ``/v1/volumes``, ``/v1/backups``, ``/v1/policies``,
  ``/v1/projects/{id}/settings``, ``/v1/projects/{id}/webhook``,
  ``/v1/stats`` and ``/v1/restores``, and the backup records (a token):
  the REST resources, one blueprint each;
* ``GET /metrics``: Prometheus metrics (no Keystone token; ``[metrics]
  bearer_token`` when set), :mod:`metrics`.

Every answer carries an ``X-OpenStack-Request-Id``. A request body over
``[api] max_request_body_size`` is answered 400 on every path, before
authentication: :mod:`body_limit`. The delete hook's well-formed checks
are answered by :class:`backup_hook.FastPath` before all of that, with the
same answers.

The database is whatever :mod:`staffeln.db.api`'s transaction context is
configured with (``db_api.configure(conf)``, done by the entry points).
"""

import flask
from oslo_config import cfg
from oslo_middleware import request_id
from werkzeug.middleware import dispatcher

from staffeln.api import auth
from staffeln.api import authz
from staffeln.api import backup_hook
from staffeln.api import backups
from staffeln.api import body_limit
from staffeln.api import errors
from staffeln.api import healthcheck
from staffeln.api import metrics
from staffeln.api import metrics_conductors
from staffeln.api import policies
from staffeln.api import projects
from staffeln.api import records
from staffeln.api import restores
from staffeln.api import retention
from staffeln.api import stats
from staffeln.api import tasks
from staffeln.api import versions
from staffeln.api import volumes
from staffeln.api import webhooks
from staffeln.cloud import client as cloud_client
from staffeln.common import clock as staffeln_clock

BLUEPRINTS = (backup_hook.bp, tasks.bp, versions.bp, volumes.bp,
              backups.bp, policies.bp, projects.bp, stats.bp, restores.bp,
              records.bp, retention.bp, metrics.bp, webhooks.bp)


def create_app(conf: cfg.ConfigOpts,
               clock: staffeln_clock.Clock | None = None) -> flask.Flask:
    app = flask.Flask(__name__, static_folder=None)
    app.config.update(
        STAFFELN_CONF=conf,
        STAFFELN_HOOK=backup_hook.Settings.from_conf(conf),
        STAFFELN_ENFORCER=authz.make_enforcer(conf),
        STAFFELN_CLOCK=clock or staffeln_clock.Clock(),
        # The cloud adapter is built on the first call that needs it.
        STAFFELN_CLOUD=None,
        STAFFELN_CLOUD_FACTORY=lambda: cloud_client.Cloud(conf),
        MAX_CONTENT_LENGTH=conf.api.max_request_body_size,
        STAFFELN_CONDUCTORS=metrics_conductors.Reader(conf),
    )
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    errors.register(app)
    body_limit.register(app)
    flask_app = app.wsgi_app
    app.wsgi_app = request_id.RequestId(body_limit.BodyLimit(
        dispatcher.DispatcherMiddleware(
            auth.wrap(flask_app, conf),
            {'/healthcheck': healthcheck.Healthcheck(conf)}),
        flask_app, conf.api.max_request_body_size))
    # The delete hook's common check is answered before all of that.
    app.wsgi_app = backup_hook.FastPath(
        app.wsgi_app, app.config['STAFFELN_HOOK'],
        conf.api.max_request_body_size)
    return app

"""``GET /metrics``: Prometheus metrics, computed from the database.

Each scrape reads one snapshot of the database
(:func:`staffeln.db.api_metrics.snapshot`) and renders it in Prometheus's
text format, so every staffeln-api replica answers the same and nothing is
kept in the process. The path takes no Keystone token (Prometheus cannot
get one): it answers anybody unless ``[metrics] bearer_token`` is set, and
404 when ``[metrics] enabled`` is false. A database that cannot be read
gives 503, so the scrape fails and ``up`` says so.
"""

import hmac

import flask
from prometheus_client import exposition
from prometheus_client import registry as prom_registry

from staffeln.api import errors
from staffeln.api import metrics_conductors
from staffeln.api import metrics_families
from staffeln.common import context as staffeln_context
from staffeln.db import api_metrics

bp = flask.Blueprint('metrics', __name__)

PATH = '/metrics'


class SnapshotCollector(prom_registry.Collector):
    """The families of one database snapshot, for one scrape."""

    def __init__(self, conf, snapshot, now, conductors):
        self.conf = conf
        self.snapshot = snapshot
        self.now = now
        self.conductors = conductors

    def collect(self):
        yield from metrics_families.families(self.snapshot, self.now,
                                             self.conf)
        yield from metrics_conductors.families(self.conf, self.conductors)


def _check_token(conf) -> None:
    expected = conf.metrics.bearer_token
    if not expected:
        return
    header = flask.request.headers.get('Authorization', '')
    scheme, _, given = header.partition(' ')
    if scheme.lower() != 'bearer' or not hmac.compare_digest(
            given.strip().encode(), expected.encode()):
        raise errors.Unauthorized('A valid bearer token is required.')


@bp.get(PATH)
def metrics():
    conf = flask.current_app.config['STAFFELN_CONF']
    if not conf.metrics.enabled:
        raise errors.NotFound('Metrics are disabled.')
    _check_token(conf)
    clock = flask.current_app.config['STAFFELN_CLOCK']
    snapshot = api_metrics.snapshot(staffeln_context.get_admin_context(),
                                    metrics_families.DURATION_BUCKETS,
                                    metrics_families.SIZE_BUCKETS_GB,
                                    metrics_families.DURATION_BUCKETS)
    registry = prom_registry.CollectorRegistry(auto_describe=False)
    registry.register(SnapshotCollector(
        conf, snapshot, clock.now(),
        flask.current_app.config['STAFFELN_CONDUCTORS']))
    body = exposition.generate_latest(registry)
    return flask.Response(body, mimetype=None, headers={
        'Content-Type': exposition.CONTENT_TYPE_LATEST})

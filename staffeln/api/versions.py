"""``GET /`` and ``GET /v1``: the version documents, without a token.

Clients (the ``openstack`` CLI, Horizon, keystoneauth's discovery) read
them to find the API's versions, as with any OpenStack API.
"""

import flask

bp = flask.Blueprint('versions', __name__)

#: The one version of the API.
V1 = {
    'id': 'v1.0',
    'status': 'CURRENT',
    'min_version': '',
    'version': '',
    'updated': '2026-12-01T00:00:00Z',
    'media-types': [{'base': 'application/json',
                     'type': 'application/vnd.openstack.staffeln-v1+json'}],
}


def _v1() -> dict:
    root = flask.request.host_url.rstrip('/') + flask.request.script_root
    return dict(V1, links=[{'rel': 'self', 'href': f'{root}/v1/'}])


@bp.get('/')
def versions():
    return flask.jsonify({'versions': [_v1()]})


@bp.get('/v1')
@bp.get('/v1/')
def version():
    return flask.jsonify({'version': _v1()})

"""Who is calling: token validation for the REST API, and request contexts.

The delete hook and the health check take no token (Cinder's oslo.policy
posts its checks without one); every other path goes through
keystonemiddleware's ``auth_token`` (``[api] auth_strategy = keystone``) or,
in tests, the header-trusting ``noauth`` middleware. Paths are public only
when listed here, so a new route is authenticated unless said otherwise.
"""

import json

from keystonemiddleware import auth_token
from oslo_config import cfg
from oslo_log import log as logging

from staffeln.api import errors
from staffeln.common import context as staffeln_context

LOG = logging.getLogger(__name__)

#: Paths served without a Keystone token: the delete hook, the version
#: documents and the metrics (which check their own bearer token); the
#: health check is served before this middleware.
PUBLIC_PATHS = frozenset({'/v1/backup', '/', '/v1', '/v1/', '/metrics'})


class NoAuthMiddleware:
    """Trust the identity headers of the request (tests, development).

    A request must carry X-User-Id and X-Project-Id; X-Roles is a comma
    separated list of role names.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        confirmed = (environ.get('HTTP_X_USER_ID')
                     and environ.get('HTTP_X_PROJECT_ID'))
        environ['HTTP_X_IDENTITY_STATUS'] = (
            'Confirmed' if confirmed else 'Invalid')
        return self.app(environ, start_response)


class PathDispatcher:
    """Send public paths to ``public`` and everything else to ``private``."""

    def __init__(self, public, private):
        self.public = public
        self.private = private

    def __call__(self, environ, start_response):
        if environ.get('PATH_INFO', '') in PUBLIC_PATHS:
            return self.public(environ, start_response)
        return self.private(environ, start_response)


class Guarded:
    """The authentication middleware, never answering with a traceback.

    keystonemiddleware raises when ``[keystone_authtoken]`` cannot be used
    (a deployment that serves only the delete hook need not configure it):
    the client then gets 401 in Staffeln's error shape, and the log says
    why, once per cause.
    """

    def __init__(self, middleware):
        self.middleware = middleware
        self._reported: set[str] = set()

    def __call__(self, environ, start_response):
        try:
            return self.middleware(environ, start_response)
        except Exception as exc:
            cause = f'{type(exc).__name__}: {exc}'
            if cause not in self._reported:
                self._reported.add(cause)
                LOG.error('Tokens cannot be validated; is '
                          '[keystone_authtoken] configured? %s', cause)
            body = json.dumps({'error': {
                'code': 401, 'message': 'Authentication is not available.',
                'request_id': None}}).encode() + b'\n'
            start_response('401 Unauthorized', [
                ('Content-Type', 'application/json'),
                ('Content-Length', str(len(body)))])
            return [body]


def wrap(app, conf: cfg.ConfigOpts):
    """Authenticate every request to ``app`` except on the public paths."""
    if conf.api.auth_strategy == 'noauth':
        private = NoAuthMiddleware(app)
    else:
        private = Guarded(auth_token.AuthProtocol(
            app, {'oslo_config_config': conf}))
    return PathDispatcher(app, private)


def request_context(environ) -> staffeln_context.RequestContext:
    """The context of an authenticated request; 401 without one."""
    if environ.get('HTTP_X_IDENTITY_STATUS') != 'Confirmed':
        raise errors.Unauthorized('Authentication required.')
    return staffeln_context.RequestContext.from_environ(environ)

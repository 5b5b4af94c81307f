"""staffeln-api's production WSGI server: cheroot, threads, optional TLS.

``[api] workers`` threads answer requests; idle keep-alive connections are
parked by cheroot's connection manager and hold no thread. With
``[api] ssl_cert_file`` and ``ssl_key_file`` the server speaks HTTPS, and with
``[api] ssl_ca_file`` it also demands a client certificate signed by that
authority (oslo.policy presents one with ``[oslo_policy]
remote_ssl_client_crt_file``).
"""

import logging as std_logging
import ssl

from cheroot.ssl import builtin
from cheroot import wsgi
from oslo_config import cfg
from oslo_log import log as logging

from staffeln.common import exception

LOG = logging.getLogger(__name__)


class Server(wsgi.Server):
    """cheroot's WSGI server, logging through oslo.log."""

    def error_log(self, msg='', level=std_logging.INFO, traceback=False):
        LOG.logger.log(level, '%s', msg, exc_info=traceback)

    @property
    def url(self) -> str:
        host, port = self.bind_addr[:2]
        if ':' in host:
            host = f'[{host}]'
        scheme = 'https' if self.ssl_adapter is not None else 'http'
        return f'{scheme}://{host}:{port}'


def check_tls(conf: cfg.ConfigOpts) -> None:
    """Raise ConfigurationError unless the TLS options of [api] agree."""
    api = conf.api
    if bool(api.ssl_cert_file) != bool(api.ssl_key_file):
        raise exception.ConfigurationError(
            '[api] ssl_cert_file and ssl_key_file must be set together')
    if api.ssl_ca_file and not api.ssl_cert_file:
        raise exception.ConfigurationError(
            '[api] ssl_ca_file needs ssl_cert_file and ssl_key_file')


def _ssl_adapter(conf: cfg.ConfigOpts) -> builtin.BuiltinSSLAdapter | None:
    api = conf.api
    if not api.ssl_cert_file:
        return None
    adapter = builtin.BuiltinSSLAdapter(api.ssl_cert_file, api.ssl_key_file)
    adapter.context.minimum_version = ssl.TLSVersion.TLSv1_2
    if api.ssl_ca_file:
        adapter.context.load_verify_locations(cafile=api.ssl_ca_file)
        adapter.context.verify_mode = ssl.CERT_REQUIRED
    return adapter


def build_server(conf: cfg.ConfigOpts, app) -> Server:
    """A server for ``app`` on ``[api] host:port``; not bound yet.

    ``server.prepare()`` binds (``OSError`` when the port is taken), then
    ``server.serve()`` answers until ``server.stop()``. Certificate or key
    files that cannot be read raise ``OSError`` or ``ssl.SSLError`` here.
    """
    api = conf.api
    server = Server(
        (api.host, api.port), app,
        numthreads=api.workers,
        max=api.workers,
        server_name='staffeln-api',
        request_queue_size=api.backlog,
        timeout=api.client_timeout,
    )
    server.ssl_adapter = _ssl_adapter(conf)
    return server

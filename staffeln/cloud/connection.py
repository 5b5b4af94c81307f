"""Build openstacksdk connections from Staffeln's ``[openstack]`` options.

Credentials come from the keystoneauth options of the group or from the
clouds.yaml cloud it names. Backups must be created with a token scoped to
the volume's project, so the same credentials are also rescoped to any
project the service user has a role in.
"""

import threading

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading as ks_loading
from keystoneauth1 import session as ks_session
import openstack
from openstack import config as os_config
from oslo_log import log as logging

from staffeln.common import exception

LOG = logging.getLogger(__name__)
GROUP = 'openstack'

_PROJECT_KEYS = ('project_id', 'project_name', 'project_domain_id',
                 'project_domain_name', 'tenant_id', 'tenant_name',
                 'domain_id', 'domain_name', 'system_scope')


class ConnectionFactory:
    """Hands out the service connection and cached project-scoped ones."""

    def __init__(self, conf):
        self.conf = conf
        self._group = conf[GROUP]
        self._lock = threading.Lock()
        self._projects: dict[str, openstack.connection.Connection] = {}
        self._auth_type, self._auth, self._session_kwargs, region = (
            self._credentials())
        self.region_name = self._group.region_name or region
        self._service = None
        # Version discovery documents, shared by every project's session:
        # the endpoints are the same, whichever project a token is for.
        self._discovery_cache: dict = {}

    def _credentials(self):
        if self._group.cloud:
            try:
                cloud = os_config.OpenStackConfig().get_one(
                    cloud=self._group.cloud)
            except Exception as exc:
                raise exception.ConfigurationError(
                    f'[openstack] cloud {self._group.cloud!r} cannot be '
                    f'loaded from clouds.yaml: {exc}')
            config = cloud.config
            session = {'verify': cloud.verify, 'cert': cloud.cert,
                       'timeout': (config.get('api_timeout')
                                   or self._group.timeout)}
            return (config.get('auth_type') or 'password',
                    dict(config.get('auth', {})), session,
                    config.get('region_name'))
        auth_type = self._group.auth_type
        if not auth_type:
            raise exception.ConfigurationError(
                'No OpenStack credentials: set [openstack] cloud to a cloud '
                'in clouds.yaml, or [openstack] auth_type and its options '
                '(auth_url, username, password, project_name, ...).')
        try:
            loader = ks_loading.get_plugin_loader(auth_type)
            # Registers the plugin's options in the group and checks that
            # the required ones are set.
            ks_loading.load_auth_from_conf_options(self.conf, GROUP)
        except ks_exc.NoMatchingPlugin:
            raise exception.ConfigurationError(
                f'[openstack] auth_type {auth_type!r} is not a keystoneauth '
                f'plugin')
        except ks_exc.MissingRequiredOptions as exc:
            names = ', '.join(o.dest for o in exc.options)
            raise exception.ConfigurationError(
                f'[openstack] is missing required options: {names}')
        auth = {}
        for opt in loader.get_options():
            try:
                value = self._group[opt.dest]
            except Exception:
                continue
            if value is not None:
                auth[opt.dest] = value
        if not auth.get('auth_url'):
            raise exception.ConfigurationError(
                '[openstack] auth_url is not set')
        verify = not self._group.insecure
        if verify and self._group.cafile:
            verify = self._group.cafile
        cert = None
        if self._group.certfile:
            cert = ((self._group.certfile, self._group.keyfile)
                    if self._group.keyfile else self._group.certfile)
        return (auth_type, auth,
                {'verify': verify, 'cert': cert,
                 'timeout': self._group.timeout}, None)

    def _connect(self, auth: dict) -> openstack.connection.Connection:
        loader = ks_loading.get_plugin_loader(self._auth_type)
        try:
            plugin = loader.load_from_options(**auth)
        except ks_exc.MissingRequiredOptions as exc:
            names = ', '.join(o.dest for o in exc.options)
            raise exception.ConfigurationError(
                f'[openstack] is missing required options: {names}')
        session = ks_session.Session(auth=plugin,
                                     discovery_cache=self._discovery_cache,
                                     **self._session_kwargs)
        return openstack.connection.Connection(
            session=session,
            region_name=self.region_name,
            interface=self._group.interface,
            identity_api_version='3',
            block_storage_api_version='3',
        )

    def service(self) -> openstack.connection.Connection:
        """The connection of the service user, in its own project."""
        with self._lock:
            if self._service is None:
                self._service = self._connect(self._auth)
            return self._service

    def project(self, project_id: str) -> openstack.connection.Connection:
        """A connection of the service user scoped to ``project_id``."""
        with self._lock:
            conn = self._projects.get(project_id)
            if conn is None:
                auth = {k: v for k, v in self._auth.items()
                        if k not in _PROJECT_KEYS}
                auth['project_id'] = project_id
                conn = self._connect(auth)
                self._projects[project_id] = conn
            return conn

    def forget_project(self, project_id: str) -> None:
        """Drop the cached connection of one project."""
        with self._lock:
            self._projects.pop(project_id, None)

    def forget_projects(self) -> None:
        """Drop cached project sessions (at the end of a cycle)."""
        with self._lock:
            self._projects.clear()

"""Horizon's ``local_settings`` for the browser tests.

The fixture that runs Horizon puts a ``local`` package holding this module
on the path (Horizon imports ``local.local_settings``) and sets the
environment it reads: the real cloud's Keystone and a directory of the
test's own for the secret, static files and logs.
"""

import os

from openstack_dashboard.local import enabled as local_enabled

from staffeln.dashboard import enabled as staffeln_enabled

# What an operator's copy of the enabled files into
# openstack_dashboard/local/enabled/ does, without writing there.
local_enabled.__path__.append(os.path.dirname(staffeln_enabled.__file__))

STATE = os.environ['STAFFELN_HORIZON_STATE']
DEBUG = True
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
SECRET_KEY = os.environ['STAFFELN_HORIZON_SECRET']
LOCAL_PATH = STATE
STATIC_ROOT = os.path.join(STATE, 'static')
OPENSTACK_HOST = '127.0.0.1'
OPENSTACK_KEYSTONE_URL = os.environ['STAFFELN_HORIZON_KEYSTONE_URL']
OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'
# The real cloud's Neutron is a stand-in that lists nothing.
OPENSTACK_NEUTRON_NETWORK = {'enable_router': False, 'enable_quotas': False,
                             'enable_fip_topology_check': False}
CACHES = {'default': {
    'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}
# Sessions in files: a page that fills the cache must not cull them.
SESSION_ENGINE = 'django.contrib.sessions.backends.file'
SESSION_FILE_PATH = STATE
LOGGING = {'version': 1, 'disable_existing_loggers': False,
           'handlers': {'file': {'class': 'logging.FileHandler',
                                 'filename': os.path.join(STATE,
                                                          'horizon.log')}},
           'root': {'handlers': ['file'], 'level': 'INFO'}}

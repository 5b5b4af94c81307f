"""staffeln-api for a WSGI server of your choice: uwsgi, gunicorn, mod_wsgi.

``staffeln.wsgi.api:application`` is the application; it is built when the
server imports this module (each worker, with uwsgi's ``lazy-apps``), from
the configuration files that ``STAFFELN_CONFIG_FILES`` names (see
:func:`staffeln.cmd.api.wsgi_application`)::

    # uwsgi
    [uwsgi]
    plugins = python3
    module = staffeln.wsgi.api:application
    env = STAFFELN_CONFIG_FILES=/etc/staffeln/staffeln.conf

    # gunicorn
    STAFFELN_CONFIG_FILES=/etc/staffeln/staffeln.conf \\
        gunicorn --bind 127.0.0.1:8808 --threads 16 \\
        staffeln.wsgi.api:application

Only WSGI servers import this module.
"""

from staffeln.cmd import api

application = api.wsgi_application()

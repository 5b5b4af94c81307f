"""Options of staffeln-api: the ``[api]`` group."""

from oslo_config import cfg

from staffeln.common import duration

GROUP = 'api'

opts = [
    cfg.HostAddressOpt(
        'host',
        default='0.0.0.0',
        help='Address staffeln-api listens on. Cinder\'s API servers must '
             'reach it; no other client needs to.'),
    cfg.PortOpt(
        'port',
        default=8808,
        help='TCP port staffeln-api listens on. 8808 is the port of the '
             'first Staffeln, so existing Cinder policy files keep working.'),
    cfg.IntOpt(
        'workers',
        default=16,
        min=1,
        max=1024,
        help='Number of threads of staffeln-api\'s server that run the '
             'application, that is the number of requests it answers at '
             'once; the connections themselves, slow or idle ones included, '
             'hold no thread. Each thread holds at most one database '
             'connection, so keep it within the database pool '
             '(max_pool_size plus max_overflow of [database]).'),
    cfg.IntOpt(
        'processes',
        default=1,
        min=1,
        max=64,
        help='Number of processes of the staffeln-api command that answer '
             'requests, all on the same listening socket, each with its own '
             'workers threads and its own database pool. One Python process '
             'computes on one CPU at a time, so set it to the number of CPUs '
             'staffeln-api may use when the delete hook must answer more '
             'than about a thousand checks a second. The database then sees '
             'up to processes times (max_pool_size plus max_overflow) '
             'connections. Under another WSGI server (uwsgi, gunicorn), that '
             'server\'s own setting counts instead.'),
    cfg.IntOpt(
        'backlog',
        default=128,
        min=1,
        help='Number of connections the listening socket queues while every '
             'thread is busy.'),
    cfg.Opt(
        'client_timeout',
        type=duration.Duration(min='1s', max='1h'),
        default='10s',
        help='Time a client has to send the headers of a request, and again '
             'to send its body, and the longest a kept-alive connection may '
             'stay idle; a client that is slower gets 408 and is '
             'disconnected. Slow or idle clients hold no worker thread. '
             + duration.FORMAT_HELP),
    cfg.Opt(
        'request_timeout',
        type=duration.Duration(min='1s', max='1h'),
        default='10s',
        help='Longest time staffeln-api takes to answer a request once it '
             'has read it; past it, the client gets 503 (the delete hook '
             'thus refuses, as it must, when the database does not answer). '
             'Keep it below the timeout of the client: [oslo_policy] '
             'remote_timeout for Cinder\'s policy checks. '
             + duration.FORMAT_HELP),
    cfg.StrOpt(
        'ssl_cert_file',
        help='PEM certificate (with its chain) that staffeln-api presents. '
             'Setting it and ssl_key_file serves HTTPS; use an https: rule '
             'in Cinder\'s policy file then.'),
    cfg.StrOpt(
        'ssl_key_file',
        help='PEM private key of ssl_cert_file.'),
    cfg.StrOpt(
        'ssl_ca_file',
        help='PEM bundle of the authorities that sign client certificates. '
             'When set, every client must present a certificate signed by '
             'one of them (in Cinder: [oslo_policy] '
             'remote_ssl_client_crt_file and remote_ssl_client_key_file). '
             'Needs ssl_cert_file and ssl_key_file.'),
    cfg.ListOpt(
        'allow_delete_roles',
        default=[],
        help='Roles that may delete any backup, Staffeln\'s own included: '
             'when the credentials Cinder sends with a policy check hold one '
             'of these roles, the delete hook answers True without looking '
             'at the database. Empty (the default) disables this.'),
    cfg.IntOpt(
        'max_request_body_size',
        default=65536,
        min=1024,
        help='Largest request body, in bytes, that staffeln-api reads. '
             'A larger body is not read: the request is answered 400, in '
             'the API\'s error shape, whatever its path. The body of an '
             'oslo.policy check is a few kilobytes, and so is a backup '
             'record to import.'),
    cfg.StrOpt(
        'auth_strategy',
        default='keystone',
        choices=[
            ('keystone', 'Validate the Keystone token of every request to '
                         'the REST API with keystonemiddleware '
                         '([keystone_authtoken] options).'),
            ('noauth', 'Trust the X-User-Id, X-Project-Id and X-Roles '
                       'headers of each request. For tests and development '
                       'only: anybody can claim any role.'),
        ],
        help='How the REST API (everything except the delete hook and the '
             'health check, which take no token) authenticates requests.'),
]


def register_opts(conf):
    conf.register_opts(opts, group=GROUP)


def list_opts():
    return {GROUP: opts}

from oslo_db import options as db_options

DEFAULT_CONNECTION = 'sqlite:///$state_path/staffeln.sqlite'


def register_opts(conf):
    db_options.set_defaults(conf, connection=DEFAULT_CONNECTION)


def list_opts():
    # oslo.db's own options are listed by the oslo.db namespace of the
    # sample generator; only the default changes here.
    return {}

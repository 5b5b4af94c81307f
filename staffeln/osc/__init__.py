"""The ``openstack staffeln ...`` commands: a python-openstackclient plugin.

:mod:`.plugin` is the ``openstack.cli.extension`` entry point; it finds
Staffeln's API in the service catalog (service type
``backup-automation``); :mod:`.client` speaks to it; :mod:`.v1` holds the
commands, named as the API names its resources.
"""

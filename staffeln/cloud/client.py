"""The cloud as Staffeln sees it: one object with every operation it needs.

:class:`Cloud` is what the conductor, the API and the commands are given;
tests give them the simulated cloud's real endpoints, or a fake with the
same methods.
"""

from staffeln.cloud import cinder
from staffeln.cloud import glance
from staffeln.cloud import keystone
from staffeln.cloud import nova


class Cloud(nova.NovaCalls, cinder.CinderCalls, glance.GlanceCalls,
            keystone.KeystoneCalls):
    """The OpenStack operations Staffeln needs, as plain records."""

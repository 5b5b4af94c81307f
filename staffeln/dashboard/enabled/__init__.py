"""Horizon's ``enabled`` files of the Staffeln dashboard: copy them (or
link them) into ``openstack_dashboard/local/enabled/``."""

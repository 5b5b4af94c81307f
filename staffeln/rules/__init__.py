"""Staffeln's decisions as pure functions: no database, no network, no clock
of their own (``now`` is passed in).

* :mod:`.overrides`: the settings a server asks for in its metadata, bounded
  by the operator;
* :mod:`.schedule`: whether a volume is due, and for a full or an
  incremental backup;
* :mod:`.retention`: which backups of a volume to keep, and why.

The conductor acts on them; the API and the commands show them.
"""

"""What the conductor and the REST API share beyond rules and state.

* :mod:`.catalog`: the protection policies as loaded for a pass, and how a
  server's metadata chooses among them;
* :mod:`.policies`: creating, changing and retiring policies, and the
  projects' choices of them;
* :mod:`.ondemand`: backups asked for now;
* :mod:`.retention`: retention's plan, which the conductor's retention run
  carries out and the API previews and prunes by.

An action checks what it is given into one-line errors that name the field
(:class:`~staffeln.common.exception.InvalidInput`), then records it in the
database; the conductor carries it out.
"""

"""``python -m staffeln.tests.simcloud``: serve the simulated cloud."""

import sys

from staffeln.tests.simcloud import server

sys.exit(server.main())

"""``python -m staffeln.cmd.manage``: the same as ``staffeln-manage``."""

import sys

from staffeln.cmd.manage import main

sys.exit(main())

"""``python -m hqt.dashboard ENDPOINT``: see hqt.dashboard.server.main."""

import sys

from hqt.dashboard.server import main

sys.exit(main())

"""``python -m pyPeblar``: the same as the ``pypeblar`` command."""

import sys

from pyPeblar.cli import main

sys.exit(main())

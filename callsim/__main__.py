"""``python -m callsim``: the command line."""

import sys

from callsim.ui.cli import main

sys.exit(main())

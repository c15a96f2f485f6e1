"""``python -m callsim``: the command line."""

import sys

from callsim.cli import main

sys.exit(main())

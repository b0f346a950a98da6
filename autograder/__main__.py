"""``python -m autograder`` is the ``tensorgrade`` command."""

import sys

from autograder.cli import main

sys.exit(main())

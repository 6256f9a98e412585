"""python -m exercises start [DIR]: make your workspace (see exercises/workspace.py)."""

import sys

from exercises.workspace import main

sys.exit(main())

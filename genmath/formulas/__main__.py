"""``python -m genmath.formulas``: check every display formula by value (see genmath.formulas.run)."""

import sys

from genmath.formulas.run import main

sys.exit(main())

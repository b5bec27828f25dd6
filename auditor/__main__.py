"""`python -m auditor` is the `stale-audit` command."""

import sys

from auditor.cli import main

sys.exit(main())

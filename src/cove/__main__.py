"""Run cove as ``python -m cove``."""

from cove.cli.main import main

raise SystemExit(main())

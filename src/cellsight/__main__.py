"""``python -m cellsight`` runs the command line."""

from cellsight.cli import main

raise SystemExit(main())

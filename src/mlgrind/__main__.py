"""``python -m mlgrind``: the ``mlgrind`` command."""

from .cli import main

raise SystemExit(main())

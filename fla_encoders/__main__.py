"""``python -m fla_encoders``: see fla_encoders.cli."""

from fla_encoders.cli import main

raise SystemExit(main())

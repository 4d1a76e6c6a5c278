"""`python -m geo`: the command line. Thin: parse, call geo/, print."""
from geo.commands import main

raise SystemExit(main())

from nav_sandbox.cli import main

raise SystemExit(main())

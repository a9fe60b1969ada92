from clinic_hub.cli import main

raise SystemExit(main())

"""``python -m creme_lib.pipeline ...``: the command line (:func:`creme_lib.pipeline.cli.main`)."""

from creme_lib.pipeline.cli import main

raise SystemExit(main())

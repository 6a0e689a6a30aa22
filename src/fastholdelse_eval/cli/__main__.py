import sys

from fastholdelse_eval.cli.main import main

sys.exit(main())

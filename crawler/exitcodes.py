"""newsmon's exit codes: what a command's exit status means (README, "Exit codes").

A module of its own, below the CLI layer, because more than the CLI needs them:
the daemon reads its crawl children's exit status, and tests and scripts check
them. Every command, `newsmon schedule` and `python scheduler.py` included,
exits with one of these.
"""

EXIT_OK = 0
EXIT_ERROR = 1          # an unexpected internal error (a bug): see the traceback
EXIT_CONFIG = 2         # bad config or bad command-line usage: nothing was done
EXIT_ARCHIVE = 3        # the archive cannot be opened or written: nothing was crawled
EXIT_LOCKED = 4         # another crawl holds the archive's lock: this one did not start
EXIT_INTERRUPTED = 5    # stopped by SIGINT/SIGTERM: what was stored is consistent
EXIT_DELIVERY = 6       # alerts: some notifications could not be delivered (kept pending)
EXIT_WRITE_FAILED = 7   # crawl: some articles could not be written (fetched again next run)

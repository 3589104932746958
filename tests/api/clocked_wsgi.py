"""Gatehouse's WSGI application on a clock the test sets, for a server in another process.

Each request runs with the clock stopped at the Unix time written in the file named by
GATEHOUSE_TEST_CLOCK_FILE, so a test moves that server's clock (and its cache's) by writing
the file, instead of waiting for real seconds to pass.
"""

import os
from pathlib import Path

import time_machine

from portal.wsgi import application as gatehouse

CLOCK_FILE = Path(os.environ["GATEHOUSE_TEST_CLOCK_FILE"])


def application(environ, start_response):
    with time_machine.travel(float(CLOCK_FILE.read_text()), tick=False):
        return gatehouse(environ, start_response)

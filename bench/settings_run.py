"""Settings of `make bench` runs: bench/settings.py (production's stack) plus the query-counting middleware.

The rate limits stay production's unless the environment raises them: bench/run.py raises `track` and
`draft-create` for the throughput runs (RATE_LIMIT_* variables) and measures the real `track` limit
separately, on a server started without the raise.
"""

from bench.settings import *  # noqa: F401,F403
from bench.settings import MIDDLEWARE

MIDDLEWARE = ["bench.querycount.QueryCountMiddleware", *MIDDLEWARE]

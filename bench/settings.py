"""Settings of every benchmark process: the app's own, plus the baseline endpoint's URL.

Nothing else changes, so ours and the baseline run on exactly the app's middleware, database
settings (CONN_MAX_AGE), logging and Celery configuration.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"

"""gunicorn settings for production and for the benchmark (``bench/run.sh``) alike.

    gunicorn -c tracker/gunicorn.conf.py tracker.wsgi

Workers and threads: the views are synchronous Django code that spends part of each request
waiting on PostgreSQL, so the default is (2 × cores) + 1 processes with 2 threads each
(``gthread``): 5 processes × 2 threads = 10 requests in flight on the 2-core machine the
benchmark ran on. More threads per process buy little — the Python work holds the GIL — and
each thread keeps its own persistent database connection (``CONN_MAX_AGE``), so the
database must accept ``workers × threads`` connections per server. Override with
``GUNICORN_WORKERS`` and ``GUNICORN_THREADS``; ``GUNICORN_BIND`` (default 127.0.0.1:8000) sets
the address. Keep the server behind a TLS-terminating proxy that sets X-Forwarded-Proto (see
``SECURE_PROXY_SSL_HEADER``).
"""

from __future__ import annotations

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
worker_class = "gthread" if threads > 1 else "sync"
# Load the application once in the master: faster start, shared memory between workers. No
# database connection is opened at import time, so nothing is shared across the fork.
preload_app = True
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = max_requests // 10
# Access log off by default (the proxy logs requests); GUNICORN_ACCESSLOG=- prints it.
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

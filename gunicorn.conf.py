"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be overridden from the environment (GUNICORN_* or the names below).

Why these values (issue 19, measured in bench/):
- `preload_app`: the app, its content catalogue and its templates are built once in the master
  and shared by every worker, so a worker is ready to serve the moment it is forked; broken
  content or config also stops the master before any worker starts. Nothing heavy runs per
  worker: the database pool opens its connections lazily, on the first request that needs one.
- No worker recycling (`max_requests = 0`): restarting a worker every ~2,000 requests made
  throughput drop every few seconds under load while the new worker warmed up, and no leak has
  been measured that would justify it. If one is ever measured, set MAX_REQUESTS (with jitter)
  to a figure taken from that measurement.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("THREADS", "4"))
timeout = int(os.environ.get("TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
max_requests = int(os.environ.get("MAX_REQUESTS", "0"))  # 0: never recycle (see above)
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
access_log_format = '{"remote": "%(h)s", "request": "%(r)s", "status": %(s)s, "bytes": %(B)s, "ms": %(M)s, "request_id": "%({x-request-id}o)s"}'
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
preload_app = True


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    """Connections opened in the master (e.g. by content checks at start-up) must not be shared with
    a forked worker; drop them without closing the master's sockets."""
    from wsgi import app

    with app.app_context():
        from induction.extensions import db

        db.engine.dispose(close=False)

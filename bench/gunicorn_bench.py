"""gunicorn settings for the benchmarks, the same for our app and for the bare page.

Given with `-c` so that the repository's production gunicorn.conf.py (gthread workers, an
access log line per request, worker recycling after 2,000 requests) does not apply: the
benchmarks compare the app with a bare Flask page, not logging or recycling settings.
The port comes on the command line (`-b`).
"""

workers = 2
worker_class = "sync"
timeout = 300  # the largest report takes tens of seconds
accesslog = None
errorlog = "-"
loglevel = "warning"

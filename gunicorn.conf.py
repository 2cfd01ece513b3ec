"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`."""
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# WEB_CONCURRENCY is gunicorn's own name for the number of worker processes.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Threads, not async workers: a Server-Sent Events stream holds a thread until it ends by itself.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "8"))
timeout = 60
graceful_timeout = 30
keepalive = 5
# Behind nginx on the same machine: trust its X-Forwarded-* headers, nobody else's.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
pidfile = os.environ.get("GUNICORN_PIDFILE") or None
# No gunicornc control socket: its default path is shared by every gunicorn of the user.
control_socket_disable = True

"""gunicorn settings for production (``gunicorn -c gunicorn.conf.py``), from the environment.

Threads let one worker process serve requests that wait on PostgreSQL or Redis; each
thread keeps its own database connection (``CONN_MAX_AGE``).
"""

import multiprocessing
import os

wsgi_app = "papernotes.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then, so slow leaks cannot grow without bound; not too often, since a
# new worker starts with empty per-process caches (a busy site serves thousands per second).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "50000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "25000"))
# "-" is stdout; "off" turns the access log off (the benchmark does).
accesslog = None if os.environ.get("GUNICORN_ACCESS_LOG") == "off" else os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
# X-Forwarded-* are trusted only from these proxies (set to the load balancer's address).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

"""gunicorn settings for Crier's web process: gunicorn -c deploy/gunicorn.conf.py "web:create_app()"."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 8)))
# Threads: requests wait on the database, and approving a large fan-out
# publishes its wake-ups; a few threads per process keep the console responsive.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 4))
# Each worker builds its own engine and connections after the fork.
preload_app = False
timeout = 30
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so that a slow leak never grows for weeks.
max_requests = 2000
max_requests_jitter = 200
# Behind the force's reverse proxy, which sets X-Forwarded-*.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# Never log the Authorization header or cookies.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)ss "%(a)s"'


def post_worker_init(worker):
    """Fit the checks' learnt reading as each worker starts, not at its first check."""
    from workflow.messages.checks.learned import warm
    warm()

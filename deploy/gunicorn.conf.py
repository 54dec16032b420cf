"""gunicorn + uvicorn workers for ``thermowatch.service`` (behind nginx, which terminates TLS).

Run:  gunicorn -c deploy/gunicorn.conf.py
Environment: THERMOWATCH_DATABASE_URL, THERMOWATCH_JWT_SECRET (required outside development),
THERMOWATCH_MODEL_DIR (optional; default: the registry's champions), THERMOWATCH_CONFIG (TOML
with a [service] table), PROMETHEUS_MULTIPROC_DIR (set below) so /metrics sums all workers.
"""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

wsgi_app = "thermowatch.app:create_app()"
# Load the application (imports, routes, settings: the seconds a start takes) in the master,
# *before* it binds the port: a restarting node then accepts connections only once its workers
# are a fork away from serving, instead of holding them in the listen queue while it imports
# (nginx counted requests answered 11.6 s late there). The engine, the model and the audit
# queue are made per worker by the app's lifespan, after the fork.
preload_app = True
bind = os.environ.get("THERMOWATCH_BIND", "127.0.0.1:8000")
# The service is CPU-bound (numpy) with short requests: one worker per core.
workers = int(os.environ.get("THERMOWATCH_WORKERS", multiprocessing.cpu_count()))
worker_class = "uvicorn.workers.UvicornWorker"
keepalive = 75  # longer than nginx's upstream keepalive_timeout (60 s)
timeout = 60  # a 100 000-row batch scores in well under a second
graceful_timeout = 30  # lifespan shutdown flushes the audit queue within this
max_requests = 100_000  # recycle workers now and then (bounded memory growth)
max_requests_jitter = 10_000
accesslog = None  # requests are in the audit log and /metrics
errorlog = "-"
loglevel = os.environ.get("THERMOWATCH_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("THERMOWATCH_FORWARDED_ALLOW_IPS", "127.0.0.1")

_metrics_dir = os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(tempfile.gettempdir()) / "thermowatch-metrics")
)
# Rate limits hold across the workers: their token buckets live in a file there too.
os.environ.setdefault("THERMOWATCH_RATE_DIR", _metrics_dir)


# Stale samples of a previous run would be summed into the new one: start from an empty
# directory, made here (this file is read before the preloaded app creates its metrics), once
# per master (a reload re-reads this file while the workers keep their samples).
if os.environ.get("THERMOWATCH_METRICS_MASTER") != str(os.getpid()):
    shutil.rmtree(_metrics_dir, ignore_errors=True)
    Path(_metrics_dir).mkdir(parents=True, exist_ok=True)
    os.environ["THERMOWATCH_METRICS_MASTER"] = str(os.getpid())


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)

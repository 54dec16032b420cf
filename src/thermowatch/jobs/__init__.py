"""Lifecycle jobs: plain functions of the core and the store, and the runners that schedule them.

* :mod:`~thermowatch.jobs.tasks` — the jobs themselves (live accuracy, drift check), each a
  function ``(engine, transformer_id, at) -> JobOutput``: no queue, no scheduler inside.
* :mod:`~thermowatch.jobs.runner` — claim a run, execute it, finish it in the same transaction
  as its output (exactly-once completion, see :mod:`thermowatch.store.jobs`).
* :mod:`~thermowatch.jobs.scheduler` — which runs are due, and the in-process loop for one
  machine.
* :mod:`~thermowatch.jobs.celery_app` — the same runs fanned out over Celery workers with Redis
  as broker, for a fleet.
"""

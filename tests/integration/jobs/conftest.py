"""The Celery tests use the real ``redis-server`` of the root conftest (``redis_server``, ``redis_url``)."""

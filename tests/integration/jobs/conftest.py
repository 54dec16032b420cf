"""The Celery tests use the real ``redis-server`` of the root conftest's ``redis_url``."""

"""The cache and the Celery broker share one Redis server but not its database:
clearing the cache (Django flushes the whole database) must not drop queued tasks."""

import redis
from django.conf import settings
from django.core.cache import cache

from config.settings.base import _redis_database


def test_clearing_the_cache_keeps_the_brokers_queues():
    # given a message waiting in a broker queue (database 0 of the same server)
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.lpush("ebaocao-test-queue-probe", "task")
    cache.set("probe", 1)
    try:
        # when the cache is cleared
        cache.clear()

        # then the cache is empty and the queued message is still there
        assert cache.get("probe") is None
        assert broker.llen("ebaocao-test-queue-probe") == 1
    finally:
        broker.delete("ebaocao-test-queue-probe")


def test_the_database_number_is_set_for_unix_sockets_and_tcp():
    assert _redis_database("unix:///run/redis.sock", 1) == "unix:///run/redis.sock?db=1"
    assert _redis_database("redis://cache.internal:6379/0", 1) == (
        "redis://cache.internal:6379/1"
    )

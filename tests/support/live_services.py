"""Reaching the real services the integration tests use (Redis; PostgreSQL via DATABASE_URL).

A test that needs a service which is not running here is skipped with the reason; under
CI (``CI`` set) it fails instead, because CI must run everything.
"""

import os

import pytest
import redis

TEST_BROKER_URL = os.environ.get("TEST_REDIS_BROKER_URL", "redis://127.0.0.1:6379/14")


def require_redis(url: str = TEST_BROKER_URL) -> redis.Redis:
    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        message = f"Redis is not reachable at {url} ({error}); start redis-server to run this test"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return client

"""An async JSON cache: in-process TTL+LRU by default, Redis when REDIS_URL is set."""

from tender.cache.backends import CacheBackend, MemoryBackend, RedisBackend
from tender.cache.cache import Cache

__all__ = ["Cache", "CacheBackend", "MemoryBackend", "RedisBackend"]

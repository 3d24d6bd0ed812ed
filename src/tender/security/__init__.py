"""HTTP hardening and abuse limits: pure ASGI middleware, cheap enough for every request."""

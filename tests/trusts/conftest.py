from tests.api.world import _fresh_throttles, tokens, world  # noqa: F401

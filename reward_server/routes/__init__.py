"""The HTTP routes, one router per area: ``score``, ``compat`` and ``ops``."""

"""Local stand-ins for the managed AWS pieces the platform runs behind (used by tests and ``make demo``).

:mod:`.gateway` is a local HTTP API Gateway: it serves ``switchboard.resources.HTTP_ROUTES`` and
invokes the real Lambda handlers with real payload-2.0 events (authorizer included).
"""

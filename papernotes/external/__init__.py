"""Calls to services outside the project (arXiv, PDF hosts, the LLM).

One place for what every outside call shares: how a URL is read before anything connects
(:mod:`.urls`), the HTTP policy of timeouts, retries and ``Retry-After`` (:mod:`.http`),
the rate limiter shared by all workers and keyed by service name (:mod:`.ratelimit`), and
the error every outside failure is reported as (:mod:`.errors`).
"""

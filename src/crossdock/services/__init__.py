"""Services: domain logic on canonical data (pricing, availability, ...).

One instance of each lives in the application (:class:`crossdock.app.Application`),
which also adds their steps to the hub's sync passes.
"""

"""``python -m crossdock.cli``: the `crossdock` command (the tests and benchmarks run it so)."""

from crossdock.cli.main import app

app()

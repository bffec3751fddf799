"""`crossdock demo`: a sample distributor synced end to end on the embedded default."""

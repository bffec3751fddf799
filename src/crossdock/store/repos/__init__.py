"""The store's repositories: one small class per table family, each behind a Protocol."""

"""Contract tests every store backend must pass (see :class:`toolkit.store.Store`)."""

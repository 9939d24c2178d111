"""Provider adapters: how a chat request and its answer look on each wire API."""

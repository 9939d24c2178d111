"""The gateway's HTTP shell: request parsing, provider calls with fallback, metrics, reload."""

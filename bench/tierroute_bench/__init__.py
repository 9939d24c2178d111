"""tierroute's benchmark harness: multimodal task suites measured through the gateway."""

"""`tierroute sim`: a simulated OpenAI- and Anthropic-compatible LLM provider.

Pure core: `profile` (the settings schema) and `catalog` (a profile from a ModelCatalog),
`behaviour` (fault, delay and answer draws), `answers` (texts), `usage` and `media` (token
counts). Wire formats: `chat_call` (what both share), `openai_api`, `anthropic_api`. Shells:
`state` (run-time state and counters), `server` and `admin_api` (HTTP handlers), `delivery`
(streams and broken sockets), `run` (the process).
"""

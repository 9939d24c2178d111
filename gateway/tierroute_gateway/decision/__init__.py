"""The pure decision core: what the gateway runs on every request, with no I/O.

`build_index` turns a routing table into a precomputed `RoutingIndex` once per table load;
`extract_features` reads a parsed chat-completions body; `decide` classifies and selects,
returning a `Decision` or raising one of the typed errors of `errors`. Nothing here reads the
clock, the network or a global: the caller passes `now`.
"""

from tierroute_gateway.decision.features import RequestFeatures, extract_features
from tierroute_gateway.decision.index import RoutingIndex, build_index
from tierroute_gateway.decision.select import Decision, decide

__all__ = [
    "Decision",
    "RequestFeatures",
    "RoutingIndex",
    "build_index",
    "decide",
    "extract_features",
]

"""tierroute's data plane: the routing table contract, the decision core and the gateway."""

"""tierroute's control plane: the custom resources, the compiler and the kopf operator."""

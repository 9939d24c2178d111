"""Routing economics: evaluating routers on public outcome data and fitting learned routers."""

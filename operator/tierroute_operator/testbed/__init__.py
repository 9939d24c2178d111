"""A real Kubernetes control plane and a real Prometheus on loopback, for tests and humans.

`control_plane` starts etcd, kube-apiserver and kube-controller-manager (like
controller-runtime's envtest); `prometheus` starts a Prometheus server with a generated scrape
configuration; `cli` is `tierroute testbed up|env|down`. Plain processes, no kopf.
"""

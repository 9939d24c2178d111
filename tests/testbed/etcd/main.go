// Command etcd runs the etcd server; a wrapper so that the etcd root module's replace
// directives do not apply.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }

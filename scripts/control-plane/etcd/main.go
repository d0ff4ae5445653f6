// The etcd server, exactly as etcd's own main package builds it (go.etcd.io/etcd/v3 main.go),
// which cannot be `go install`ed because its go.mod replaces the etcd modules with local paths.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}

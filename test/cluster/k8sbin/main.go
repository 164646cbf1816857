// Command k8sbin is one multi-call binary for the cluster test tier: etcd, kube-apiserver,
// kube-controller-manager and kube-scheduler. Linking one binary instead of four saves most of
// the cold build time on a 2-core machine (see ../README.md). The first argument picks the
// component: `k8sbin kube-apiserver --flags…`. Test infrastructure only.
package main

import (
	"fmt"
	"os"
	_ "time/tzdata" // CronJob time zones, as upstream mains do

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/server/v3/etcdmain"
	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	apiserver "k8s.io/kubernetes/cmd/kube-apiserver/app"
	kcm "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: k8sbin etcd|kube-apiserver|kube-controller-manager|kube-scheduler [flags]")
		os.Exit(2)
	}
	component, rest := os.Args[1], os.Args[2:]
	switch component {
	case "etcd":
		etcdmain.Main(append([]string{"etcd"}, rest...))
		os.Exit(0)
	case "kube-apiserver":
		os.Exit(run(apiserver.NewAPIServerCommand(), component, rest))
	case "kube-controller-manager":
		os.Exit(run(kcm.NewControllerManagerCommand(), component, rest))
	case "kube-scheduler":
		os.Exit(run(scheduler.NewSchedulerCommand(), component, rest))
	default:
		fmt.Fprintf(os.Stderr, "k8sbin: unknown component %q\n", component)
		os.Exit(2)
	}
}

// run executes a cobra command as if it were the component's own binary.
func run(cmd *cobra.Command, name string, args []string) int {
	os.Args = append([]string{name}, args...)
	cmd.SetArgs(args)
	return cli.Run(cmd)
}

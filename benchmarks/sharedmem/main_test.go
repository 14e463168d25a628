//go:build linux

package sharedmem_test

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// peerEnv marks a re-executed benchmark binary as the peer process; its value names the role.
const peerEnv = "HOTPATH_SHMBENCH_PEER"

func TestMain(m *testing.M) {
	if role := os.Getenv(peerEnv); role != "" {
		if err := runPeer(role, os.Getenv(peerEnv+"_ARG")); err != nil {
			fmt.Fprintf(os.Stderr, "peer %s: %v\n", role, err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startPeer re-executes the benchmark binary as a peer; stop waits for it.
func startPeer(b *testing.B, role, arg string, files ...*os.File) (stop func()) {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(os.Environ(), peerEnv+"="+role, peerEnv+"_ARG="+arg)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	cmd.ExtraFiles = files
	if err := cmd.Start(); err != nil {
		b.Fatalf("start peer %s: %v", role, err)
	}
	done := false
	stop = func() {
		if done {
			return
		}
		done = true
		if err := cmd.Wait(); err != nil {
			b.Errorf("peer %s: %v", role, err)
		}
	}
	b.Cleanup(func() {
		if !done {
			cmd.Process.Kill()
			stop()
		}
	})
	return stop
}

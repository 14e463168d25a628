package sharedmem

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

// peerEnv marks a re-executed test binary as the peer process of a cross-process test; its value
// names the role (see peer_test.go).
const peerEnv = "HOTPATH_SHAREDMEM_PEER"

func TestMain(m *testing.M) {
	if role := os.Getenv(peerEnv); role != "" {
		if err := runPeer(role, os.Getenv(peerEnv+"_ARG")); err != nil {
			fmt.Fprintf(os.Stderr, "peer %s: %v\n", role, err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// peer is a running peer process.
type peer struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

// startPeer re-executes the test binary as the peer with the given role and argument.
func startPeer(t *testing.T, role, arg string, files ...*os.File) *peer {
	t.Helper()
	p := &peer{cmd: exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")}
	p.cmd.Env = append(os.Environ(), peerEnv+"="+role, peerEnv+"_ARG="+arg)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	p.cmd.ExtraFiles = files
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start peer %s: %v", role, err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	return p
}

// wait waits for the peer and fails the test if it did not exit 0.
func (p *peer) wait(t *testing.T) {
	t.Helper()
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("peer %v: %v\n%s", p.cmd.Env[len(p.cmd.Env)-2], err, p.out.String())
	}
}

// regionName returns a /dev/shm name unique to this process and test, removed at cleanup.
func regionName(t *testing.T) string {
	t.Helper()
	name := fmt.Sprintf("hotpath-test-%d-%s", os.Getpid(), strings.NewReplacer("/", "-", " ", "_").Replace(t.Name()))
	t.Cleanup(func() { Remove(name) })
	return name
}

// mustCreate creates a region that is closed and removed when the test ends.
func mustCreate(t *testing.T, size int, opts Options) (*Region, string) {
	t.Helper()
	name := regionName(t)
	r, err := Create(name, size, opts)
	if err != nil {
		t.Fatalf("Create(%q, %d) = %v", name, size, err)
	}
	t.Cleanup(func() { r.Close() })
	return r, name
}

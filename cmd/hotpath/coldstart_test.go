package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// coldstartServerEnv, when set to an address, turns the test binary into a server for
// TestColdstartFirstRequest: it waits a moment (a slow start), then serves 200 on that address.
const coldstartServerEnv = "HOTPATH_TEST_COLDSTART_SERVER"

func TestColdstartHelperServer(t *testing.T) {
	addr := os.Getenv(coldstartServerEnv)
	if addr == "" {
		t.Skip("helper process for TestColdstartFirstRequest")
	}
	time.Sleep(50 * time.Millisecond)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") }))
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestColdstartFirstRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	addr := freeAddr(t)
	t.Setenv(coldstartServerEnv, addr)
	var stdout, stderr bytes.Buffer
	args := []string{"coldstart", "-runs", "2", "-top", "0", "-first-request", "http://" + addr + "/", os.Args[0], "--", "-test.run=^TestColdstartHelperServer$"}
	code := report(run(t.Context(), args, &stdout, &stderr), &stderr)
	if code != exitOK {
		t.Fatalf("coldstart %q exit = %d, want 0\nstdout:\n%s\nstderr:\n%s", args, code, stdout.String(), stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"2 run(s)", "runtime", "net/http", "total (", "first response from http://" + addr + "/: "} {
		if !strings.Contains(out, want) {
			t.Errorf("coldstart stdout lacks %q:\n%s", want, out)
		}
	}
	// The helper sleeps 50ms before listening: the first response cannot come sooner.
	var ms float64
	if _, err := fmt.Sscanf(out[strings.Index(out, "first response"):], "first response from http://"+addr+"/: %f ms", &ms); err != nil || ms < 50 {
		t.Errorf("coldstart first response = %v ms (%v), want >= 50 ms:\n%s", ms, err, out)
	}
}

// TestColdstartSelf builds and starts hotpath itself (which prints usage and exits 2 with no arguments).
func TestColdstartSelf(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hotpath")
	}
	var stdout, stderr bytes.Buffer
	code := report(run(t.Context(), []string{"coldstart", "-runs", "2", "-top", "5", "."}, &stdout, &stderr), &stderr)
	if code != exitOK {
		t.Fatalf("coldstart . exit = %d, want 0\nstderr:\n%s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"coldstart: ., 2 run(s), medians", "rank", "package", "total (", "more)", "start to exit: "} {
		if !strings.Contains(out, want) {
			t.Errorf("coldstart . stdout lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 5+6 { // title, header, 5 packages, "more", total, done, exit
		t.Errorf("coldstart . -top 5 printed %d lines, want 11:\n%s", n, out)
	}
}

func TestColdstartUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no program", nil, exitUsage, "no program given"},
		{"zero runs", []string{"-runs", "0", "x"}, exitUsage, "-runs 0: want at least 1"},
		{"bad url", []string{"-first-request", "localhost:8080", "x"}, exitUsage, "want an http:// or https:// URL"},
		{"not executable", []string{"coldstart.go"}, exitUsage, "coldstart.go is not executable"},
		{"not a Go program", []string{"/bin/true"}, exitUnknown, "printed no init trace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := report(run(t.Context(), append([]string{"coldstart"}, tt.args...), &stdout, &stderr), &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("coldstart %q = exit %d, stderr %q; want exit %d and %q", tt.args, code, stderr.String(), tt.wantCode, tt.wantErr)
			}
		})
	}
}

func TestLimitedBuffer(t *testing.T) {
	b := &limitedBuffer{max: 5}
	for _, s := range []string{"abc", "defg", "hij"} {
		if n, err := b.Write([]byte(s)); n != len(s) || err != nil {
			t.Errorf("Write(%q) = %d, %v; want %d, nil", s, n, err, len(s))
		}
	}
	if b.String() != "abcde" {
		t.Errorf("limitedBuffer kept %q, want %q", b.String(), "abcde")
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
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

// TestColdstartSelf builds and starts hotpath itself ("hotpath version" prints a line and exits 0).
func TestColdstartSelf(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hotpath")
	}
	var stdout, stderr bytes.Buffer
	code := report(run(t.Context(), []string{"coldstart", "-runs", "2", "-top", "5", ".", "--", "version"}, &stdout, &stderr), &stderr)
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

// coldstartExitEnv, when set to a number, turns the test binary into a program that writes a line
// to stderr and exits at once with that status; coldstartSleepEnv into one that never answers and
// waits (far longer than any test) to be killed.
const (
	coldstartExitEnv  = "HOTPATH_TEST_COLDSTART_EXIT"
	coldstartSleepEnv = "HOTPATH_TEST_COLDSTART_SLEEP"
)

func TestColdstartHelperExit(t *testing.T) {
	code, err := strconv.Atoi(os.Getenv(coldstartExitEnv))
	if err != nil {
		t.Skip("helper process for TestColdstartProgramEnds")
	}
	fmt.Fprintln(os.Stderr, "helper: config file missing")
	os.Exit(code)
}

func TestColdstartHelperSleep(t *testing.T) {
	if os.Getenv(coldstartSleepEnv) == "" {
		t.Skip("helper process for TestColdstartProgramEnds")
	}
	time.Sleep(10 * time.Minute)
}

// coldstartBounded runs coldstart with args and fails the test, instead of hanging it, if the command
// does not return within a minute: every case here must end promptly on its own.
func coldstartBounded(t *testing.T, ctx context.Context, args []string, stdout, stderr io.Writer) int {
	t.Helper()
	codes := make(chan int, 1)
	go func() { codes <- report(run(ctx, append([]string{"coldstart"}, args...), stdout, stderr), stderr) }()
	select {
	case code := <-codes:
		return code
	case <-time.After(time.Minute):
		t.Fatalf("coldstart %q still running after a minute: it ignores -timeout or the program's exit", args)
		return 0
	}
}

// TestColdstartProgramEnds covers how a run ends other than by a clean measurement: the program exits
// (at once, before answering, with a failure status), never answers within -timeout, or the user
// interrupts (ctx cancelled, as SIGINT and SIGTERM do in main).
func TestColdstartProgramEnds(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	closed := "http://" + freeAddr(t) + "/" // nothing listens there
	self := func(helper string) []string { return []string{os.Args[0], "--", "-test.run=^" + helper + "$"} }
	tests := []struct {
		name     string
		env      string // KEY=VALUE for the program
		args     []string
		cancelAt string // cancel ctx once stderr shows this ("" never)
		wantErr  []string
	}{
		{"exits 0 before the first response", coldstartExitEnv + "=0",
			append([]string{"-runs", "1", "-first-request", closed, "-timeout", "1m"}, self("TestColdstartHelperExit")...), "",
			[]string{"hotpath: coldstart: -first-request " + closed + ": program exited before a successful response; last: ", "; it ended with exit status 0"}},
		{"exits 3 before the first response", coldstartExitEnv + "=3",
			append([]string{"-runs", "1", "-first-request", closed, "-timeout", "1m"}, self("TestColdstartHelperExit")...), "",
			[]string{"program exited before a successful response", "it ended with exit status 3; last lines of its stderr:\nhelper: config file missing\n"}},
		{"exits 3", coldstartExitEnv + "=3",
			append([]string{"-runs", "2"}, self("TestColdstartHelperExit")...), "",
			[]string{"hotpath: coldstart: " + os.Args[0] + " failed (exit status 3); last lines of its stderr:\nhelper: config file missing\n"}},
		{"never answers", coldstartSleepEnv + "=1",
			append([]string{"-runs", "1", "-first-request", closed, "-timeout", "200ms"}, self("TestColdstartHelperSleep")...), "",
			[]string{"hotpath: coldstart: -first-request " + closed + ": no successful response in time; last: "}},
		{"interrupted waiting for a response", coldstartSleepEnv + "=1",
			append([]string{"-runs", "3", "-first-request", closed, "-timeout", "1m"}, self("TestColdstartHelperSleep")...), "run 1/3",
			[]string{"hotpath: coldstart: interrupted\n"}},
		{"interrupted waiting for the exit", coldstartSleepEnv + "=1",
			append([]string{"-runs", "3", "-timeout", "1m"}, self("TestColdstartHelperSleep")...), "run 1/3",
			[]string{"hotpath: coldstart: interrupted\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, value, _ := strings.Cut(tt.env, "=")
			t.Setenv(key, value)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var stdout bytes.Buffer
			stderr := &cancelOn{s: "\x00", cancel: cancel}
			if tt.cancelAt != "" {
				stderr.s = tt.cancelAt
			}
			code := coldstartBounded(t, ctx, tt.args, &stdout, stderr)
			if code != exitUnknown || stdout.Len() > 0 {
				t.Errorf("coldstart %q = exit %d, stdout %q; want exit %d and no report", tt.args, code, stdout.String(), exitUnknown)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("coldstart %q stderr = %q, want it to contain %q", tt.args, stderr.String(), want)
				}
			}
			if n := strings.Count(stderr.String(), "hotpath: "); n != 1 {
				t.Errorf("coldstart %q printed %d errors, want 1:\n%s", tt.args, n, stderr.String())
			}
		})
	}
}

// mainArgsEnv, when set, turns the test binary into hotpath itself: main runs with these arguments
// (separated by newlines), so a test can send it real signals.
const mainArgsEnv = "HOTPATH_TEST_MAIN_ARGS"

func TestColdstartHelperMain(t *testing.T) {
	args := os.Getenv(mainArgsEnv)
	if args == "" {
		t.Skip("helper process for TestColdstartSignal")
	}
	os.Args = append([]string{"hotpath"}, strings.Split(args, "\n")...)
	main()
}

// TestColdstartSignal sends SIGINT and SIGTERM to a hotpath process waiting for a first response from a
// program that never answers: it must stop the program and exit 2, saying it was interrupted.
func TestColdstartSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	closed := "http://" + freeAddr(t) + "/"
	hotpathArgs := []string{"coldstart", "-runs", "1", "-first-request", closed, "-timeout", "1m",
		os.Args[0], "--", "-test.run=^TestColdstartHelperSleep$"}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestColdstartHelperMain$")
			cmd.Env = append(os.Environ(), mainArgsEnv+"="+strings.Join(hotpathArgs, "\n"), coldstartSleepEnv+"=1")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Signal once the run has started, then read the rest.
			var out bytes.Buffer
			sc := bufio.NewScanner(io.TeeReader(stderr, &out))
			for sc.Scan() && !strings.Contains(sc.Text(), "coldstart: run 1/1") {
			}
			cmd.Process.Signal(sig)
			io.Copy(io.Discard, io.TeeReader(stderr, &out))
			err = cmd.Wait()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != exitUnknown || !strings.Contains(out.String(), "hotpath: coldstart: interrupted\n") {
				t.Errorf("hotpath %q after %v = %v, stderr:\n%s\nwant exit status %d and \"hotpath: coldstart: interrupted\"", hotpathArgs, sig, err, out.String(), exitUnknown)
			}
		})
	}
}

// TestBenchAndColdstartUsage checks that -h of bench and coldstart states what each exit status means.
func TestBenchAndColdstartUsage(t *testing.T) {
	for _, name := range []string{"bench", "coldstart"} {
		var stdout, stderr bytes.Buffer
		code := report(run(t.Context(), []string{name, "-h"}, &stdout, &stderr), &stderr)
		for _, want := range []string{"usage: hotpath " + name, "Exit status:\n  0  ", "\n  1  ", "\n  2  ", "interrupted"} {
			if code != exitOK || !strings.Contains(stderr.String(), want) {
				t.Errorf("hotpath %s -h = exit %d, stderr lacks %q:\n%s", name, code, want, stderr.String())
			}
		}
	}
}

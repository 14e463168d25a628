package coldstart

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// bins builds the two programs once per test binary, on first use.
var bins struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bins.dir != "" {
		os.RemoveAll(bins.dir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// program returns the path of the built program name ("eager" or "lazy").
func program(tb testing.TB, name string) string {
	tb.Helper()
	bins.once.Do(func() {
		if bins.dir, bins.err = os.MkdirTemp("", "coldstart"); bins.err != nil {
			return
		}
		for _, p := range []string{"eager", "lazy"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(bins.dir, p), "./"+p).CombinedOutput()
			if err != nil {
				bins.err = fmt.Errorf("go build ./%s: %v\n%s", p, err, out)
				return
			}
		}
	})
	if bins.err != nil {
		tb.Fatal(bins.err)
	}
	return filepath.Join(bins.dir, name)
}

// firstResponse starts bin, waits for its address, and returns the time from start to the end of
// the first successful response to path, with the response body. The process is killed before it
// returns.
func firstResponse(ctx context.Context, bin, path string) (time.Duration, string, error) {
	start := time.Now()
	cmd := exec.CommandContext(ctx, bin)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, "", err
	}
	if err := cmd.Start(); err != nil {
		return 0, "", err
	}
	defer func() {
		cmd.Process.Kill()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if err != nil || !ok {
		return 0, "", fmt.Errorf("%s: first line %q, %v; want \"listening on ADDR\"", bin, line, err)
	}
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return elapsed, string(body), err
}

var paths = []struct{ name, path, want string }{
	{"healthz", "/healthz", "ok\n"},
	{"lookup", "/lookup?key=key-7", "7\n"},
}

func TestFirstResponse(t *testing.T) {
	for _, prog := range []string{"eager", "lazy"} {
		for _, p := range paths {
			t.Run(prog+"/"+p.name, func(t *testing.T) {
				_, body, err := firstResponse(t.Context(), program(t, prog), p.path)
				if err != nil || body != p.want {
					t.Errorf("firstResponse(%s, %s) = %q, %v; want %q, nil", prog, p.path, body, err, p.want)
				}
			})
		}
	}
}

// BenchmarkFirstResponse starts the program once per op: ns/op is process start to first response.
func BenchmarkFirstResponse(b *testing.B) {
	for _, p := range paths {
		for _, prog := range []string{"eager", "lazy"} {
			b.Run("path="+p.name+"/init="+prog, func(b *testing.B) {
				bin := program(b, prog)
				for b.Loop() {
					if _, body, err := firstResponse(b.Context(), bin, p.path); err != nil || body != p.want {
						b.Fatalf("firstResponse(%s, %s) = %q, %v; want %q", prog, p.path, body, err, p.want)
					}
				}
			})
		}
	}
}

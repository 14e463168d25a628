package zerocopy

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// straceMarker names the case the re-executed test binary runs under strace.
const straceMarker = "HOTPATH_ZEROCOPY_STRACE_CASE"

// straceCases are the facts of 1.3 in the shared notes, plus Copy's own paths. Each runs in a child
// process under strace, which counts the kernel copy calls; path is what hotpath reports for it.
var straceCases = []struct {
	name     string
	syscall  string // the call strace must see (more than zero times), or "" for none of the three
	path     Path   // what hotpath reports in the child
	run      func(t *testing.T, dir string) Path
	fileSize int
}{
	{name: "http.ServeFile", syscall: "sendfile", path: PathSendfile, run: serveCase(nil, plainServe)},
	{name: "naive wrapper", syscall: "", path: PathUserspace, run: serveCase(naiveLayers, plainServe)},
	{name: "three Wrap layers", syscall: "sendfile", path: PathSendfile, run: serveCase(wrapLayers, plainServe)},
	{name: "no Content-Length", syscall: "", path: PathUserspace, run: serveCase(nil, chunkedServe)},
	{name: "TLS", syscall: "", path: PathUserspace, run: serveCase(nil, plainServe, withTLS)},
	{name: "FileServerFS DirFS", syscall: "", path: PathUserspace, run: serveCase(nil, dirFSServe)},
	{name: "FileServer Dir", syscall: "sendfile", path: PathSendfile, run: serveCase(nil, dirServe)},
	{name: "wrapped net.Conn", syscall: "", path: PathUserspace, run: serveCase(nil, plainServe, withWrappedConn)},
	{name: "512-byte file", syscall: "", path: PathUserspace, run: serveCase(nil, plainServe), fileSize: 512},
	{name: "Copy file to tcp", syscall: "sendfile", path: PathSendfile, run: copyFileToTCP},
	{name: "Copy tcp to tcp", syscall: "splice", path: PathSplice, run: copyTCPToTCP},
	{name: "Copy file to file", syscall: "copy_file_range", path: PathCopyFileRange, run: copyFileToFile},
}

func TestStrace(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes under strace; skipped in -short mode")
	}
	strace, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is not installed (apt-get install strace); the kernel paths are still proven by the syscall seam in TestCopyPaths")
	}
	for _, tc := range straceCases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "strace.txt")
			cmd := exec.CommandContext(t.Context(), strace, "-f", "-c", "-o", out, "-e", "trace=sendfile,splice,copy_file_range",
				os.Args[0], "-test.run=^TestStraceChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), straceMarker+"="+tc.name)
			stdout, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("strace child %q: %v\n%s", tc.name, err, stdout)
			}
			summary, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			counts := parseStraceSummary(summary)
			for _, call := range []string{"sendfile", "splice", "copy_file_range"} {
				if call == tc.syscall && counts[call] == 0 {
					t.Errorf("strace saw no %s calls, want some\n%s", call, summary)
				}
				if call != tc.syscall && counts[call] != 0 {
					t.Errorf("strace saw %d %s calls, want none\n%s", counts[call], call, summary)
				}
			}
			if want := "path=" + tc.path.String() + "\n"; !strings.Contains(string(stdout), want) {
				t.Errorf("child reported %q, want %q", stdout, want)
			}
		})
	}
}

// parseStraceSummary reads the table strace -c writes and returns the calls per system call.
func parseStraceSummary(b []byte) map[string]int {
	counts := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 5 || f[len(f)-1] == "total" {
			continue
		}
		if n, err := strconv.Atoi(f[3]); err == nil {
			counts[f[len(f)-1]] = n
		}
	}
	return counts
}

func TestParseStraceSummary(t *testing.T) {
	in := `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 80.00    0.000800          88         9           sendfile
 20.00    0.000200          50         4         1 splice
------ ----------- ----------- --------- --------- ----------------
100.00    0.001000          76        13         1 total
`
	got := parseStraceSummary([]byte(in))
	if got["sendfile"] != 9 || got["splice"] != 4 || len(got) != 2 {
		t.Errorf("parseStraceSummary() = %v, want sendfile 9, splice 4", got)
	}
}

// TestStraceChild is the child side of TestStrace: it runs one case and prints the path hotpath saw.
func TestStraceChild(t *testing.T) {
	name := os.Getenv(straceMarker)
	if name == "" {
		t.Skip("runs only as TestStrace's child")
	}
	for _, tc := range straceCases {
		if tc.name == name {
			size := tc.fileSize
			if size == 0 {
				size = 8 << 20
			}
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "f.bin"), payload(size), 0o600); err != nil {
				t.Fatal(err)
			}
			fmt.Printf("path=%s\n", tc.run(t, dir))
			return
		}
	}
	t.Fatalf("unknown case %q", name)
}

type serveOption func(*httptest.Server) (tls bool)

func withTLS(*httptest.Server) bool { return true }
func withWrappedConn(s *httptest.Server) bool {
	s.Listener = wrappedListener{s.Listener}
	return false
}

// serveCase serves dir/f.bin with serve behind the layers and fetches it once; the path is what
// Report or Copy said.
func serveCase(wrap func(http.ResponseWriter) http.ResponseWriter, serve func(w http.ResponseWriter, r *http.Request, dir string) Path, opts ...serveOption) func(*testing.T, string) Path {
	return func(t *testing.T, dir string) Path {
		paths := make(chan Path, 1)
		var h http.HandlerFunc = func(w http.ResponseWriter, r *http.Request) { paths <- serve(w, r, dir) }
		if wrap != nil {
			h = layers(3, wrap, h)
		}
		ts := httptest.NewUnstartedServer(h)
		tls := false
		for _, o := range opts {
			tls = o(ts) || tls
		}
		if tls {
			ts.StartTLS()
		} else {
			ts.Start()
		}
		defer ts.Close()
		c := ts.Client()
		defer c.CloseIdleConnections()
		resp, err := c.Get(ts.URL + "/f.bin")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return <-paths
	}
}

func naiveLayers(w http.ResponseWriter) http.ResponseWriter { return &naiveWriter{ResponseWriter: w} }
func wrapLayers(w http.ResponseWriter) http.ResponseWriter {
	return Wrap(w, Hooks{Body: func(int64, Path) {}})
}

// plainServe is http.ServeFile under FileServer's report.
func plainServe(w http.ResponseWriter, r *http.Request, dir string) Path {
	var p Path
	fs := FileServer{Report: func(_ *http.Request, rep Report) { p = rep.Path }}
	fs.ServeFile(w, r, filepath.Join(dir, "f.bin"))
	return p
}

// chunkedServe copies the file without a Content-Length.
func chunkedServe(w http.ResponseWriter, r *http.Request, dir string) Path {
	f, err := os.Open(filepath.Join(dir, "f.bin"))
	if err != nil {
		return PathUserspace
	}
	defer f.Close()
	_, p, _ := Copy(w, f)
	return p
}

// dirFSServe and dirServe are the standard library's file servers, watched from the outside by Wrap.
func dirFSServe(w http.ResponseWriter, r *http.Request, dir string) Path {
	return watchedServe(w, r, http.FileServerFS(os.DirFS(dir)))
}

func dirServe(w http.ResponseWriter, r *http.Request, dir string) Path {
	return watchedServe(w, r, http.FileServer(http.Dir(dir)))
}

func watchedServe(w http.ResponseWriter, r *http.Request, h http.Handler) Path {
	p := PathUserspace
	h.ServeHTTP(Wrap(w, Hooks{Body: func(n int64, path Path) {
		if path.Kernel() {
			p = path
		}
	}}), r)
	return p
}

func copyFileToTCP(t *testing.T, dir string) Path {
	a, b := connPair(t, "tcp")
	wait := drain(b)
	f, err := os.Open(filepath.Join(dir, "f.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, p, err := Copy(a, f)
	a.Close()
	wait()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func copyTCPToTCP(t *testing.T, dir string) Path {
	in1, in2 := connPair(t, "tcp")
	out1, out2 := connPair(t, "tcp")
	fed := feed(in1, payload(4<<20))
	wait := drain(out2)
	_, p, err := Copy(out1, in2)
	fed()
	out1.Close()
	wait()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func copyFileToFile(t *testing.T, dir string) Path {
	src, err := os.Open(filepath.Join(dir, "f.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(filepath.Join(dir, "copy.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	_, p, err := Copy(dst, src)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

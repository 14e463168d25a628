package zerocopy

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
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hotpath-dev/hotpath/benchmarks"
	"github.com/hotpath-dev/hotpath/zerocopy"
	"go.uber.org/goleak"
)

// serveSizes are the file sizes served: two from the shared table and one large file, where the kernel
// path matters most. CI runs each benchmark once, so the 100 MiB case costs one transfer there.
var serveSizes = []benchmarks.Size{benchmarks.Sizes[2], benchmarks.Sizes[3], {Name: "100MiB", Bytes: 100 << 20}}

// env is the servers shared by all serve benchmarks, started on first use and stopped in TestMain.
var env struct {
	once    sync.Once
	err     error
	dir     string       // files and nginx's prefix
	goAddr  string       // the Go server
	srv     *http.Server // serves /naive/, /wrap/, /plain/
	nginx   *exec.Cmd    // nil when nginx is not installed
	ngxAddr string
	ngxNote string // why nginx is not measured
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopServers()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// naiveWriter is the common middleware mistake: it embeds http.ResponseWriter, so io.ReaderFrom is gone.
type naiveWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *naiveWriter) WriteHeader(code int) { w.status = code; w.ResponseWriter.WriteHeader(code) }
func (w *naiveWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// record is what a logging middleware layer keeps about a response.
type record struct {
	status int
	n      int64
}

// three wraps h in three middleware layers built by wrap, as a logging, a metrics and a tracing layer
// would.
func three(wrap func(http.ResponseWriter) http.ResponseWriter, h http.HandlerFunc) http.HandlerFunc {
	for range 3 {
		next := h
		h = func(w http.ResponseWriter, r *http.Request) { next(wrap(w), r) }
	}
	return h
}

func startServers() error {
	env.once.Do(func() {
		env.dir, env.err = os.MkdirTemp("", "hotpath-zerocopy-bench")
		if env.err != nil {
			return
		}
		files := filepath.Join(env.dir, "files")
		os.Mkdir(files, 0o755)
		for _, s := range serveSizes {
			if env.err = os.WriteFile(filepath.Join(files, s.Name+".bin"), bytes.Repeat([]byte{'z'}, s.Bytes), 0o644); env.err != nil {
				return
			}
		}
		name := func(r *http.Request) string { return filepath.Join(files, filepath.Base(r.URL.Path)) }
		mux := http.NewServeMux()
		mux.HandleFunc("/plain/", func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, name(r)) })
		mux.HandleFunc("/naive/", three(func(w http.ResponseWriter) http.ResponseWriter { return &naiveWriter{ResponseWriter: w} },
			func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, name(r)) }))
		mux.HandleFunc("/hotpath/", three(func(w http.ResponseWriter) http.ResponseWriter {
			rec := &record{} // what a logging layer would keep
			return zerocopy.Wrap(w, zerocopy.Hooks{WriteHeader: func(c int) { rec.status = c }, Body: func(k int64, _ zerocopy.Path) { rec.n += k }})
		}, func(w http.ResponseWriter, r *http.Request) { zerocopy.ServeFile(w, r, name(r)) }))
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			env.err = err
			return
		}
		env.goAddr = ln.Addr().String()
		env.srv = &http.Server{Handler: mux}
		go env.srv.Serve(ln)
		env.ngxNote = startNginx(files)
	})
	return env.err
}

// startNginx runs nginx with sendfile on, one worker process and no master, on a free loopback port. It
// returns why nginx is not available, or "".
func startNginx(files string) string {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		return "nginx is not installed (apt-get install nginx)"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err.Error()
	}
	env.ngxAddr = ln.Addr().String()
	ln.Close()
	prefix := filepath.Join(env.dir, "nginx")
	os.MkdirAll(filepath.Join(prefix, "tmp"), 0o755)
	conf := fmt.Sprintf(`daemon off;
master_process off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000000;
	client_body_temp_path %[1]s/tmp; proxy_temp_path %[1]s/tmp; fastcgi_temp_path %[1]s/tmp;
	uwsgi_temp_path %[1]s/tmp; scgi_temp_path %[1]s/tmp;
	default_type application/octet-stream;
	server { listen %[2]s; root %[3]s; location / {} }
}
`, prefix, env.ngxAddr, files)
	confPath := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return err.Error()
	}
	cmd := exec.Command(bin, "-p", prefix, "-e", filepath.Join(prefix, "error.log"), "-c", confPath)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return "nginx: " + err.Error()
	}
	env.nginx = cmd
	for range 200 { // up to 2 s for nginx to listen
		if c, err := net.Dial("tcp", env.ngxAddr); err == nil {
			c.Close()
			return ""
		}
		time.Sleep(10 * time.Millisecond)
	}
	return "nginx did not start listening on " + env.ngxAddr
}

func stopServers() {
	if env.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		env.srv.Shutdown(ctx)
		cancel()
	}
	if env.nginx != nil {
		env.nginx.Process.Signal(syscall.SIGQUIT)
		env.nginx.Wait()
	}
	if env.dir != "" {
		os.RemoveAll(env.dir)
	}
}

// client is a minimal HTTP/1.1 keep-alive client: it reads bodies into one reused buffer, so its own
// CPU cost is the same for every server.
type client struct {
	c   net.Conn
	br  *bufio.Reader
	buf []byte
}

func dial(addr string) (*client, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &client{c: c, br: bufio.NewReaderSize(c, 64<<10), buf: make([]byte, 1<<20)}, nil
}

// get fetches path and returns the body length.
func (cl *client) get(path string) (int64, error) {
	if _, err := io.WriteString(cl.c, "GET "+path+" HTTP/1.1\r\nHost: bench\r\n\r\n"); err != nil {
		return 0, err
	}
	length := int64(-1)
	for {
		line, err := cl.br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := strings.Cut(string(line), ":"); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	if length < 0 {
		return 0, errors.New("response without Content-Length")
	}
	for left := length; left > 0; {
		n, err := cl.br.Read(cl.buf[:min(left, int64(len(cl.buf)))])
		left -= int64(n)
		if err != nil {
			return length - left, err
		}
	}
	return length, nil
}

// cpuTimes returns user and system CPU seconds of this process plus the nginx process.
func cpuTimes() (user, sys float64) {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	user = float64(ru.Utime.Sec) + float64(ru.Utime.Usec)/1e6
	sys = float64(ru.Stime.Sec) + float64(ru.Stime.Usec)/1e6
	if env.nginx != nil {
		u, s := procTimes(env.nginx.Process.Pid)
		user, sys = user+u, sys+s
	}
	return user, sys
}

// procTimes reads utime and stime of a child process from /proc/PID/stat (clock ticks of 1/100 s).
func procTimes(pid int) (user, sys float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0
	}
	_, rest, _ := bytes.Cut(b, []byte(") ")) // skip "pid (comm) "
	f := strings.Fields(string(rest))
	if len(f) < 13 {
		return 0, 0
	}
	u, _ := strconv.ParseFloat(f[11], 64)
	s, _ := strconv.ParseFloat(f[12], 64)
	return u / 100, s / 100
}

// BenchmarkServe fetches one file per iteration over a kept-alive loopback connection from each server.
// Reported: GB/s, and user and system CPU seconds per GB transferred (client and server together; the
// client's share is the same for all servers).
func BenchmarkServe(b *testing.B) {
	if err := startServers(); err != nil {
		b.Fatal(err)
	}
	servers := []struct{ name, addr, prefix string }{
		{"naive3", env.goAddr, "/naive/"},
		{"hotpath3", env.goAddr, "/hotpath/"},
		{"plain", env.goAddr, "/plain/"},
		{"nginx", env.ngxAddr, "/"},
	}
	for _, size := range serveSizes {
		for _, s := range servers {
			b.Run("size="+size.Name+"/server="+s.name, func(b *testing.B) {
				if s.name == "nginx" && env.ngxNote != "" {
					b.Skip(env.ngxNote)
				}
				cl, err := dial(s.addr)
				if err != nil {
					b.Fatal(err)
				}
				defer cl.c.Close()
				path := s.prefix + size.Name + ".bin"
				if _, err := cl.get(path); err != nil { // warm the page cache and the connection
					b.Fatal(err)
				}
				b.SetBytes(int64(size.Bytes))
				u0, s0 := cpuTimes()
				start := time.Now()
				for b.Loop() {
					n, err := cl.get(path)
					if err != nil || n != int64(size.Bytes) {
						b.Fatalf("GET %s = %d bytes, %v; want %d", path, n, err, size.Bytes)
					}
				}
				elapsed := time.Since(start).Seconds()
				u1, s1 := cpuTimes()
				gb := float64(size.Bytes) * float64(b.N) / 1e9
				b.ReportMetric(gb/elapsed, "GB/s")
				b.ReportMetric((u1-u0)/gb, "user-s/GB")
				b.ReportMetric((s1-s0)/gb, "sys-s/GB")
			})
		}
	}
}

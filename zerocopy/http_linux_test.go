package zerocopy

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// naiveWriter is the middleware wrapper that loses sendfile: it embeds the interface, so only the
// three methods of http.ResponseWriter survive.
type naiveWriter struct {
	http.ResponseWriter
	code int
}

func (w *naiveWriter) WriteHeader(code int) { w.code = code; w.ResponseWriter.WriteHeader(code) }

// wrappedListener wraps each accepted connection, as proxy-protocol and rate-limit listeners do.
type wrappedListener struct{ net.Listener }

func (l wrappedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	return struct{ net.Conn }{c}, err
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// layers wraps h in n middleware layers made by wrap.
func layers(n int, wrap func(http.ResponseWriter) http.ResponseWriter, h http.HandlerFunc) http.HandlerFunc {
	for range n {
		next := h
		h = func(w http.ResponseWriter, r *http.Request) { next(wrap(w), r) }
	}
	return h
}

func TestServeFilePaths(t *testing.T) {
	dir := t.TempDir()
	big := payload(1 << 20)
	bigName := writeFile(t, dir, "big.bin", big)
	small := payload(512)
	smallName := writeFile(t, dir, "small.bin", small)
	justOver := payload(513)
	overName := writeFile(t, dir, "over.bin", justOver)

	wrapped := func(w http.ResponseWriter) http.ResponseWriter { return Wrap(w, Hooks{WriteHeader: func(int) {}}) }
	naive := func(w http.ResponseWriter) http.ResponseWriter { return &naiveWriter{ResponseWriter: w} }
	gzipHeader := func(w http.ResponseWriter) http.ResponseWriter {
		w.Header().Set("Content-Encoding", "identity")
		return w
	}

	tests := []struct {
		name       string
		file       string
		method     string
		rangeHdr   string
		urlPath    string // request path, "/f" when empty
		tls        bool
		wrapConn   bool
		wrap       func(http.ResponseWriter) http.ResponseWriter
		want       []byte // body
		wantPath   Path
		wantKernel int64
		wantReason string // substring of Report.Reason
		wantHeader string // prefix of the X-Path header
	}{
		{name: "plain", file: bigName, want: big, wantPath: PathSendfile, wantKernel: 1<<20 - 512, wantHeader: "sendfile"},
		{name: "three Wrap layers", file: bigName, wrap: wrapped, want: big, wantPath: PathSendfile, wantKernel: 1<<20 - 512, wantHeader: "sendfile"},
		{name: "naive wrapper", file: bigName, wrap: naive, want: big, wantPath: PathUserspace, wantReason: "*zerocopy.naiveWriter hides io.ReaderFrom", wantHeader: "userspace; response writer"},
		{name: "no content length", file: bigName, wrap: gzipHeader, want: big, wantPath: PathUserspace, wantReason: ReasonNoLength, wantHeader: "userspace; no content length"},
		{name: "tls", file: bigName, tls: true, want: big, wantPath: PathUserspace, wantReason: ReasonTLS, wantHeader: "userspace; tls"},
		{name: "wrapped net.Conn", file: bigName, wrapConn: true, want: big, wantPath: PathUserspace, wantReason: ReasonConn, wantHeader: "sendfile"},
		{name: "512 bytes", file: smallName, want: small, wantPath: PathUserspace, wantReason: ReasonSmall, wantHeader: "userspace; file of 512"},
		{name: "513 bytes", file: overName, want: justOver, wantPath: PathSendfile, wantKernel: 1, wantHeader: "sendfile"},
		{name: "head", file: bigName, method: http.MethodHead, want: nil, wantPath: PathUserspace, wantReason: ReasonNoBody, wantHeader: "userspace; no body"},
		{name: "one range", file: bigName, rangeHdr: "bytes=1000-200999", want: big[1000:201000], wantPath: PathSendfile, wantKernel: 200000 - 512, wantHeader: "sendfile"},
		{name: "two ranges", file: bigName, rangeHdr: "bytes=0-99,1000-1999", wantPath: PathUserspace, wantReason: ReasonRanges, wantHeader: "userspace; multipart"},
		{name: "directory", file: dir, urlPath: "/d/", wantPath: PathUserspace, wantReason: ReasonNotFile, wantHeader: "userspace; not a regular"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reports := make(chan Report, 1)
			fs := &FileServer{Header: "X-Path", Report: func(_ *http.Request, rep Report) { reports <- rep }}
			var h http.HandlerFunc = func(w http.ResponseWriter, r *http.Request) { fs.ServeFile(w, r, tt.file) }
			if tt.wrap != nil {
				h = layers(3, tt.wrap, h)
			}
			ts := httptest.NewUnstartedServer(h)
			if tt.wrapConn {
				ts.Listener = wrappedListener{ts.Listener}
			}
			if tt.tls {
				ts.StartTLS()
			} else {
				ts.Start()
			}
			defer ts.Close()
			client := ts.Client()
			defer client.CloseIdleConnections()
			req, err := http.NewRequestWithContext(t.Context(), cmp(tt.method, http.MethodGet), ts.URL+cmp(tt.urlPath, "/f"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.rangeHdr != "" {
				req.Header.Set("Range", tt.rangeHdr)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			rep := <-reports
			if tt.want != nil && !bytes.Equal(body, tt.want) {
				t.Errorf("ServeFile body = %d bytes, want %d", len(body), len(tt.want))
			}
			if rep.Path != tt.wantPath || rep.Kernel != tt.wantKernel {
				t.Errorf("ServeFile report = %+v, want path %v with %d kernel bytes", rep, tt.wantPath, tt.wantKernel)
			}
			if !strings.Contains(rep.Reason, tt.wantReason) || (tt.wantReason == "") != (rep.Reason == "") {
				t.Errorf("ServeFile reason = %q, want %q", rep.Reason, tt.wantReason)
			}
			if got := resp.Header.Get("X-Path"); !strings.HasPrefix(got, tt.wantHeader) {
				t.Errorf("ServeFile header X-Path = %q, want prefix %q", got, tt.wantHeader)
			}
		})
	}
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestWrapKeepsInterfaces(t *testing.T) {
	rec := httptest.NewRecorder()
	w := Wrap(rec, Hooks{})
	if _, ok := w.(http.Flusher); !ok {
		t.Errorf("Wrap(recorder) lost http.Flusher")
	}
	if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok || u.Unwrap() != rec {
		t.Errorf("Wrap(recorder).Unwrap() = %v, want the recorder", u)
	}
	if err := http.NewResponseController(w).Flush(); err != nil {
		t.Errorf("ResponseController(Wrap(recorder)).Flush() = %v, want nil", err)
	}
	if _, ok := w.(io.ReaderFrom); ok {
		t.Errorf("Wrap(recorder) has io.ReaderFrom, which the recorder lacks")
	}

	// On a real connection the writer has ReadFrom, Hijacker and Pusher-less HTTP/1; Wrap keeps them.
	got := make(chan []string, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w = Wrap(Wrap(w, Hooks{}), Hooks{})
		var have []string
		if _, ok := w.(io.ReaderFrom); ok {
			have = append(have, "ReaderFrom")
		}
		if _, ok := w.(http.Hijacker); ok {
			have = append(have, "Hijacker")
		}
		if _, ok := w.(http.Flusher); ok {
			have = append(have, "Flusher")
		}
		if _, ok := w.(http.Pusher); ok {
			have = append(have, "Pusher")
		}
		got <- have
	}))
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ts.Client().CloseIdleConnections()
	if have, want := strings.Join(<-got, ","), "ReaderFrom,Hijacker,Flusher"; have != want {
		t.Errorf("Wrap(Wrap(http/1 writer)) interfaces = %s, want %s", have, want)
	}
}

func TestWrapHooks(t *testing.T) {
	dir := t.TempDir()
	data := payload(300000)
	name := writeFile(t, dir, "f.bin", data)
	type seen struct {
		code         int
		kernel, user int64
	}
	got := make(chan seen, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var s seen
		w = Wrap(w, Hooks{
			WriteHeader: func(code int) { s.code = code },
			Body: func(n int64, p Path) {
				if p == PathSendfile {
					s.kernel += n
				} else {
					s.user += n
				}
			},
		})
		switch r.URL.Path {
		case "/file":
			http.ServeFile(w, r, name)
		case "/copy": // Copy through a writer that keeps ReadFrom, with a length: sendfile
			f, _ := os.Open(name)
			defer f.Close()
			w.Header().Set("Content-Length", "300000")
			Copy(w, f)
		case "/write":
			io.WriteString(w, "hello")
			w.Write([]byte(" world"))
		}
		got <- s
	}))
	defer ts.Close()
	defer ts.Client().CloseIdleConnections()
	tests := []struct {
		path string
		want seen
	}{
		{"/file", seen{200, 300000 - 512, 512}},
		{"/copy", seen{200, 300000 - 512, 512}},
		{"/write", seen{200, 0, 11}},
	}
	for _, tt := range tests {
		resp, err := ts.Client().Get(ts.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if s := <-got; s != tt.want {
			t.Errorf("Wrap hooks on %s saw %+v, want %+v", tt.path, s, tt.want)
		}
	}
}

func TestCopyToResponseWriter(t *testing.T) {
	dir := t.TempDir()
	name := writeFile(t, dir, "f.bin", payload(200000))
	paths := make(chan Path, 1)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, _ := os.Open(name)
		defer f.Close()
		if r.URL.Path == "/length" {
			w.Header().Set("Content-Length", "200000")
		}
		_, p, _ := Copy(w, f)
		paths <- p
	}))
	defer ts.Close()
	defer ts.Client().CloseIdleConnections()
	tests := []struct {
		path string
		want Path
	}{{"/length", PathSendfile}, {"/chunked", PathUserspace}}
	for _, tt := range tests {
		resp, err := ts.Client().Get(ts.URL + tt.path)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if p := <-paths; p != tt.want || n != 200000 {
			t.Errorf("Copy(ResponseWriter %s, file) = %d bytes by %v, want 200000 by %v", tt.path, n, p, tt.want)
		}
	}
}

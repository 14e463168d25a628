package zerocopy

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/felixge/httpsnoop"
)

// Hooks observe a response passing through Wrap. They cannot change it: a middleware that transforms the
// body (compression, encryption) must not use Wrap, because Wrap passes io.ReaderFrom through and a file
// would be sent around the transform. Nil fields cost nothing.
type Hooks struct {
	// WriteHeader is called with the status code before it is written, once (plus once per
	// informational 1xx code); a body written without WriteHeader reports 200.
	WriteHeader func(code int)
	// Body is called after each body write with the bytes written and the path that carried them: for
	// Write and WriteString PathUserspace; for ReadFrom PathSendfile when the kernel moved bytes from a
	// file (measured at the file's offset), else PathUserspace.
	Body func(n int64, path Path)
}

// Wrap returns w with the hooks attached and the same optional interfaces as w: http.Flusher,
// http.Hijacker, io.ReaderFrom, http.Pusher, io.StringWriter, deadlines and full duplex, plus
// Unwrap() http.ResponseWriter for http.ResponseController. Keeping io.ReaderFrom is what keeps
// sendfile: a wrapper that hides it turns every http.ServeFile into a user-space copy. Wrap is built on
// github.com/felixge/httpsnoop; it allocates once per call.
func Wrap(w http.ResponseWriter, hooks Hooks) http.ResponseWriter {
	if hooks.WriteHeader == nil && hooks.Body == nil {
		return httpsnoop.Wrap(w, httpsnoop.Hooks{})
	}
	s := &wrapState{hooks: hooks}
	return httpsnoop.Wrap(w, httpsnoop.Hooks{
		WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
			return func(code int) { s.header(code); next(code) }
		},
		Write: func(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
			return func(b []byte) (int, error) {
				s.header(http.StatusOK)
				n, err := next(b)
				s.body(int64(n), PathUserspace)
				return n, err
			}
		},
		WriteString: func(next httpsnoop.WriteStringFunc) httpsnoop.WriteStringFunc {
			return func(str string) (int, error) {
				s.header(http.StatusOK)
				n, err := next(str)
				s.body(int64(n), PathUserspace)
				return n, err
			}
		},
		ReadFrom: func(next httpsnoop.ReadFromFunc) httpsnoop.ReadFromFunc {
			return func(src io.Reader) (int64, error) {
				s.header(http.StatusOK)
				r, watch := watchFor(src)
				n, err := next(r)
				if watch == nil {
					s.body(n, PathUserspace)
					return n, err
				}
				if lr, ok := src.(*io.LimitedReader); ok {
					lr.N -= n
				}
				k := min(watch.kernel, n)
				s.body(n-k, PathUserspace)
				s.body(k, PathSendfile)
				return n, err
			}
		},
	})
}

// wrapState is the per-response state behind Wrap's hooks.
type wrapState struct {
	hooks       Hooks
	wroteHeader bool
}

// header reports the status once; informational (1xx) codes are reported as they come.
func (s *wrapState) header(code int) {
	if s.wroteHeader {
		return
	}
	if code >= 200 {
		s.wroteHeader = true
	}
	if s.hooks.WriteHeader != nil {
		s.hooks.WriteHeader(code)
	}
}

func (s *wrapState) body(n int64, p Path) {
	if n > 0 && s.hooks.Body != nil {
		s.hooks.Body(n, p)
	}
}

// FileServer serves single files the way http.ServeFile does, keeping sendfile where the connection
// allows it, and says which path ran. The zero value reports nothing. It is safe for concurrent use.
type FileServer struct {
	// Header, when not empty, names a response header set before the body to the path expected to run,
	// such as "sendfile" or "userspace; tls". It is a prediction made before the first byte; Report says
	// what actually ran.
	Header string
	// Report, when set, is called after each response with what ran.
	Report func(r *http.Request, rep Report)
}

// Report says how a file's body was sent.
type Report struct {
	Name   string // the file name passed to ServeFile
	Path   Path   // PathSendfile when the kernel moved bytes, else PathUserspace
	Kernel int64  // body bytes moved by sendfile, measured at the file's offset
	User   int64  // body bytes read into user space
	Reason string // why the kernel path did not run; empty when it did
}

// Reasons the kernel path does not run, as they appear in Report.Reason and the header.
const (
	ReasonTLS      = "tls"                                    // TLS encrypts in user space (Go has no kTLS)
	ReasonHTTP2    = "http/2"                                 // HTTP/2 frames the body
	ReasonNoBody   = "no body"                                // HEAD, 304, errors
	ReasonSmall    = "file of 512 bytes or less"              // net/http sends the first 512 bytes buffered
	ReasonNoLength = "no content length"                      // a chunked body cannot use sendfile
	ReasonRanges   = "multipart ranges"                       // each part is copied with its own header
	ReasonConn     = "connection hides io.ReaderFrom"         // a wrapped net.Conn, such as a listener wrapper
	ReasonNotFile  = "not a regular file"                     // directories, errors: served by http.ServeFile
	reasonWrapper  = "response writer %s hides io.ReaderFrom" // a middleware wrapper without ReadFrom
)

// ServeFile serves the named file like http.ServeFile, with a zero FileServer.
func ServeFile(w http.ResponseWriter, r *http.Request, name string) {
	var s FileServer
	s.ServeFile(w, r, name)
}

// ServeFile replies to r with the contents of the named file, like http.ServeFile: same conditional
// requests, ranges, content types, error replies, and directory handling (which it delegates). The body
// reaches sendfile through every wrapper that keeps io.ReaderFrom, such as those from Wrap; when it
// cannot, the report says why.
func (s *FileServer) ServeFile(w http.ResponseWriter, r *http.Request, name string) {
	f, fi, ok := openRegular(r, name)
	if !ok {
		s.header(w, PathUserspace, ReasonNotFile)
		http.ServeFile(w, r, name)
		s.report(r, Report{Name: name, Path: PathUserspace, Reason: ReasonNotFile})
		return
	}
	defer f.Close()
	reason := predict(w, r, fi.Size())
	if reason == "" {
		s.header(w, PathSendfile, "")
	} else {
		s.header(w, PathUserspace, reason)
	}
	watch := &watchedFile{f: f}
	http.ServeContent(w, r, fi.Name(), fi.ModTime(), watch)
	rep := Report{Name: name, Path: PathUserspace, Kernel: watch.kernel, User: watch.user, Reason: reason}
	if watch.kernel > 0 {
		rep.Path, rep.Reason = PathSendfile, ""
	} else if rep.Reason == "" {
		rep.Reason = ReasonConn
		if watch.user == 0 {
			rep.Reason = ReasonNoBody
		}
	}
	s.report(r, rep)
}

func (s *FileServer) header(w http.ResponseWriter, p Path, reason string) {
	if s.Header == "" {
		return
	}
	v := p.String()
	if reason != "" {
		v += "; " + reason
	}
	w.Header().Set(s.Header, v)
}

func (s *FileServer) report(r *http.Request, rep Report) {
	if s.Report != nil {
		s.Report(r, rep)
	}
}

// openRegular opens name when http.ServeFile would serve it as a plain file; anything else (a path with
// "..", an index.html redirect, a directory, an error) is left to http.ServeFile.
func openRegular(r *http.Request, name string) (*os.File, os.FileInfo, bool) {
	if strings.Contains(r.URL.Path, "..") || strings.HasSuffix(r.URL.Path, "/index.html") {
		return nil, nil, false
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, false
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, false
	}
	return f, fi, true
}

// predict says why the kernel path cannot run for this response, or "" when it can as far as the request
// and the writer show. A wrapped connection is only visible afterwards.
func predict(w http.ResponseWriter, r *http.Request, size int64) string {
	switch {
	case r.TLS != nil:
		return ReasonTLS
	case r.ProtoMajor != 1:
		return ReasonHTTP2
	case r.Method == http.MethodHead:
		return ReasonNoBody
	case size <= 512:
		return ReasonSmall
	case w.Header().Get("Content-Encoding") != "":
		return ReasonNoLength
	case strings.Contains(r.Header.Get("Range"), ","):
		return ReasonRanges
	}
	if hider := hidesReaderFrom(w); hider != nil {
		return fmt.Sprintf(reasonWrapper, fmt.Sprintf("%T", hider))
	}
	return ""
}

// hidesReaderFrom walks the Unwrap chain and returns the outermost writer that lacks io.ReaderFrom, or
// nil when the chain keeps it.
func hidesReaderFrom(w http.ResponseWriter) http.ResponseWriter {
	for w != nil {
		if _, ok := w.(io.ReaderFrom); !ok {
			return w
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
	return nil
}

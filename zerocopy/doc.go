// Package zerocopy moves bytes without copying them: views that share memory instead of converting,
// kernel copy paths (sendfile, splice, copy_file_range) that say whether they ran, and HTTP helpers that
// keep sendfile alive through middleware.
//
// # Views
//
// String and Bytes convert between []byte and string without a copy; Slice and BytesOf view bytes as a
// slice of plain-data values and back. They are inlined and allocate nothing. They share memory, so the
// rules on String and Bytes are the whole contract: build tests with -tags hotpath_checkviews and call
// CheckViews to catch a buffer that changes under a live view.
//
// # Kernel copy paths
//
// Copy is io.Copy that reports the Path that carried the bytes. On Linux it calls sendfile, splice and
// copy_file_range itself for files, limited or sectioned files, TCP and Unix stream sockets, and watches
// the file descriptor when it must hand a file to code it cannot see into, so PathSendfile is a
// measurement, not a guess. SendFile sends a range of a file to a socket.
//
// # HTTP
//
// net/http sends a file with sendfile only when every layer between the handler and the connection keeps
// io.ReaderFrom. Measured with strace on Go 1.26 (8 MiB file): plain http.ServeFile makes 9 sendfile
// calls; a middleware wrapper struct{http.ResponseWriter}, a body without Content-Length, TLS,
// http.FileServerFS(os.DirFS(dir)) and a listener that wraps each net.Conn make none; a file of 512 bytes
// or less never uses it. Wrap attaches hooks to a ResponseWriter and keeps io.ReaderFrom; ServeFile and
// FileServer serve a file through such wrappers and report, in an opt-in header or a callback, which
// path ran and why the kernel path did not.
//
// # Overhead
//
// The views are the bare conversions after inlining: no allocation, no call (asserted by tests with
// testing.AllocsPerRun and the compiler's -m output). Slice and BytesOf add one type check: a switch for
// basic element types, a sync.Map lookup for structs and arrays. Copy spends three or four small system
// calls (lseek, fstat, fcntl) deciding the path before the copy; a watched file adds two lseek calls per
// kernel copy. Wrap allocates once per response, like httpsnoop.Wrap, plus its hooks' state.
//
// # Platform support
//
// The kernel paths are Linux only; elsewhere Copy is io.Copy and reports PathUserspace, except that a
// file sent by the standard library's own sendfile is still seen on Unix systems. Views work everywhere.
//
// # Concurrency
//
// The functions are safe for concurrent use on distinct values. A FileServer is safe for concurrent use.
// Views share memory, so the usual rules for concurrent access to that memory apply.
package zerocopy

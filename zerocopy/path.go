package zerocopy

// Path names the way bytes travelled in a copy.
type Path uint8

const (
	// PathUserspace: the bytes were read into the process's memory and written out again.
	PathUserspace Path = iota
	// PathSendfile: the kernel moved the bytes from a file to a socket with sendfile(2).
	PathSendfile
	// PathSplice: the kernel moved the bytes from a socket through a pipe with splice(2).
	PathSplice
	// PathCopyFileRange: the kernel (or the file system) copied between two files with
	// copy_file_range(2).
	PathCopyFileRange
)

var pathNames = [...]string{
	PathUserspace:     "userspace",
	PathSendfile:      "sendfile",
	PathSplice:        "splice",
	PathCopyFileRange: "copy_file_range",
}

// String returns the lower-case name used in reports and headers: "userspace", "sendfile", "splice",
// "copy_file_range".
func (p Path) String() string {
	if int(p) < len(pathNames) {
		return pathNames[p]
	}
	return "unknown"
}

// Kernel reports whether the path kept the bytes out of user space.
func (p Path) Kernel() bool { return p != PathUserspace }

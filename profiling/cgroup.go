package profiling

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"strconv"
	"strings"
)

// ContainerLimits is what the control group of this process lets it use.
// Percentages reported by the saturation monitor are of these limits, not of
// the host, so a container capped at 2 cores on a 64-core host at 100% reads
// as 100%, not 3%.
type ContainerLimits struct {
	// CPU is the CPU quota in cores (quota / period); 0 means no quota was found.
	CPU float64 `json:"cpu_cores"`
	// MemoryBytes is the memory limit; 0 means no limit was found.
	MemoryBytes uint64 `json:"memory_bytes"`
	// CPUSource and MemorySource name the file each limit was read from
	// ("" when none applies), e.g. "/sys/fs/cgroup/cpu.max".
	CPUSource    string `json:"cpu_source,omitempty"`
	MemorySource string `json:"memory_source,omitempty"`
}

// cgroupMount is one cgroup or cgroup2 line of /proc/self/mountinfo.
type cgroupMount struct {
	root  string // the path inside the hierarchy that is mounted
	point string // where it is mounted
	v2    bool
	ctrls []string // v1 controllers from the super options (cpu, memory, ...)
}

// cgroupPaths is /proc/self/cgroup: the unified (v2) path and the v1 path of
// each controller.
type cgroupPaths struct {
	unified    string
	hasUnified bool
	v1         map[string]string
}

// maxCgroupLines bounds what the parsers accept from one file, so a hostile or
// corrupt file costs a bounded amount of memory.
const maxCgroupLines = 4096

// parseMountInfo returns the cgroup mounts listed in a /proc/self/mountinfo
// file. Other mounts are skipped; malformed cgroup lines are an error.
func parseMountInfo(b []byte) ([]cgroupMount, error) {
	var out []cgroupMount
	for n, line := range bytes.Split(b, []byte("\n")) {
		if n >= maxCgroupLines {
			return out, fmt.Errorf("profiling: parse mountinfo: more than %d lines: %w", maxCgroupLines, ErrCgroup)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		// id parent major:minor root point options [optional...] - fstype source superopts
		pre, post, ok := bytes.Cut(line, []byte(" - "))
		if !ok {
			return out, fmt.Errorf("profiling: parse mountinfo line %d: no separator: %w", n+1, ErrCgroup)
		}
		tail := strings.Fields(string(post))
		if len(tail) < 1 || (tail[0] != "cgroup" && tail[0] != "cgroup2") {
			continue
		}
		head := strings.Fields(string(pre))
		if len(head) < 6 || len(tail) < 3 {
			return out, fmt.Errorf("profiling: parse mountinfo line %d: %d fields: %w", n+1, len(head)+len(tail), ErrCgroup)
		}
		m := cgroupMount{root: unescapeMount(head[3]), point: unescapeMount(head[4]), v2: tail[0] == "cgroup2"}
		if !m.v2 {
			for opt := range strings.SplitSeq(tail[2], ",") {
				if opt == "cpu" || opt == "memory" {
					m.ctrls = append(m.ctrls, opt)
				}
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// unescapeMount undoes the octal escapes (\040 for a space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseProcCgroup parses /proc/self/cgroup: "hierarchy:controllers:path" lines.
func parseProcCgroup(b []byte) (cgroupPaths, error) {
	p := cgroupPaths{v1: map[string]string{}}
	for n, line := range bytes.Split(b, []byte("\n")) {
		if n >= maxCgroupLines {
			return p, fmt.Errorf("profiling: parse /proc/self/cgroup: more than %d lines: %w", maxCgroupLines, ErrCgroup)
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		id, rest, ok1 := strings.Cut(string(line), ":")
		ctrls, cpath, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 || !strings.HasPrefix(cpath, "/") {
			return p, fmt.Errorf("profiling: parse /proc/self/cgroup line %d %q: %w", n+1, line, ErrCgroup)
		}
		if id == "0" && ctrls == "" {
			p.unified, p.hasUnified = cpath, true
			continue
		}
		for c := range strings.SplitSeq(ctrls, ",") {
			if c == "cpu" || c == "memory" {
				p.v1[c] = cpath
			}
		}
	}
	return p, nil
}

// parseCPUMax parses cgroup v2 cpu.max ("max 100000" or "50000 100000") into
// cores; 0 means unlimited.
func parseCPUMax(b []byte) (float64, error) {
	f := strings.Fields(string(b))
	if len(f) < 1 || len(f) > 2 {
		return 0, fmt.Errorf("profiling: parse cpu.max %q: want \"quota [period]\": %w", b, ErrCgroup)
	}
	if f[0] == "max" {
		return 0, nil
	}
	period := int64(100000) // the kernel's default when the period is omitted
	if len(f) == 2 {
		p, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || p <= 0 {
			return 0, fmt.Errorf("profiling: parse cpu.max %q: bad period: %w", b, ErrCgroup)
		}
		period = p
	}
	return cpuQuota(string(b), f[0], period)
}

// parseCPUV1 turns cgroup v1 cpu.cfs_quota_us and cpu.cfs_period_us into cores;
// a quota of -1 means unlimited.
func parseCPUV1(quota, period []byte) (float64, error) {
	q := strings.TrimSpace(string(quota))
	if q == "-1" {
		return 0, nil
	}
	p, err := strconv.ParseInt(strings.TrimSpace(string(period)), 10, 64)
	if err != nil || p <= 0 {
		return 0, fmt.Errorf("profiling: parse cpu.cfs_period_us %q: %w", period, ErrCgroup)
	}
	return cpuQuota(string(quota), q, p)
}

func cpuQuota(file, quota string, period int64) (float64, error) {
	q, err := strconv.ParseInt(quota, 10, 64)
	if err != nil || q <= 0 {
		return 0, fmt.Errorf("profiling: parse cpu quota %q: %w", file, ErrCgroup)
	}
	return float64(q) / float64(period), nil
}

// unlimitedV1 is the threshold above which a v1 memory.limit_in_bytes means
// "no limit": the kernel reports LONG_MAX rounded down to a page.
const unlimitedV1 = 1 << 62

// parseMemoryMax parses cgroup v2 memory.max or v1 memory.limit_in_bytes; 0
// means unlimited.
func parseMemoryMax(b []byte) (uint64, error) {
	s := strings.TrimSpace(string(b))
	if s == "max" || s == "-1" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("profiling: parse memory limit %q: %w", b, ErrCgroup)
	}
	if v >= unlimitedV1 {
		return 0, nil
	}
	return v, nil
}

// readContainerLimits finds this process's cgroup limits under root (a file
// system rooted at "/", os.DirFS("/") in production, a fixture in tests). The
// effective limit is the smallest one on the path from the process's cgroup up
// to the mount point. cgroup v2 wins over v1 for each resource it controls. A
// system without cgroups gives zero limits and no error.
func readContainerLimits(root fs.FS) (ContainerLimits, error) {
	var lim ContainerLimits
	mi, err := fs.ReadFile(root, "proc/self/mountinfo")
	if errors.Is(err, fs.ErrNotExist) {
		return lim, nil
	} else if err != nil {
		return lim, fmt.Errorf("profiling: read mountinfo: %w", err)
	}
	mounts, err := parseMountInfo(mi)
	if err != nil {
		return lim, err
	}
	cg, err := fs.ReadFile(root, "proc/self/cgroup")
	if err != nil {
		return lim, fmt.Errorf("profiling: read /proc/self/cgroup: %w", err)
	}
	paths, err := parseProcCgroup(cg)
	if err != nil {
		return lim, err
	}
	for _, m := range mounts {
		switch {
		case m.v2 && paths.hasUnified:
			dir := cgroupDir(m, paths.unified)
			if lim.CPUSource == "" {
				lim.CPU, lim.CPUSource, err = minUp(root, m, dir, func(d string) (float64, string, error) {
					return readOne(root, d, "cpu.max", parseCPUMax)
				})
			}
			if err == nil && lim.MemorySource == "" {
				var mem float64
				mem, lim.MemorySource, err = minUp(root, m, dir, func(d string) (float64, string, error) {
					return readOne(root, d, "memory.max", func(b []byte) (float64, error) {
						v, err := parseMemoryMax(b)
						return float64(v), err
					})
				})
				lim.MemoryBytes = uint64(mem)
			}
		case !m.v2:
			err = readV1(root, m, paths, &lim)
		}
		if err != nil {
			return lim, err
		}
	}
	return lim, nil
}

func readV1(root fs.FS, m cgroupMount, paths cgroupPaths, lim *ContainerLimits) error {
	var err error
	for _, c := range m.ctrls {
		p, ok := paths.v1[c]
		if !ok {
			continue
		}
		dir := cgroupDir(m, p)
		switch {
		case c == "cpu" && lim.CPUSource == "":
			lim.CPU, lim.CPUSource, err = minUp(root, m, dir, func(d string) (float64, string, error) {
				q, qerr := fs.ReadFile(root, path.Join(d, "cpu.cfs_quota_us"))
				per, perr := fs.ReadFile(root, path.Join(d, "cpu.cfs_period_us"))
				if qerr != nil || perr != nil {
					return 0, "", nil
				}
				v, err := parseCPUV1(q, per)
				return v, "/" + path.Join(d, "cpu.cfs_quota_us"), err
			})
		case c == "memory" && lim.MemorySource == "":
			var mem float64
			mem, lim.MemorySource, err = minUp(root, m, dir, func(d string) (float64, string, error) {
				return readOne(root, d, "memory.limit_in_bytes", func(b []byte) (float64, error) {
					v, err := parseMemoryMax(b)
					return float64(v), err
				})
			})
			lim.MemoryBytes = uint64(mem)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// readOne reads dir/name and parses it; a missing file is (0, "", nil).
func readOne(root fs.FS, dir, name string, parse func([]byte) (float64, error)) (float64, string, error) {
	b, err := fs.ReadFile(root, path.Join(dir, name))
	if err != nil {
		return 0, "", nil
	}
	v, err := parse(b)
	return v, "/" + path.Join(dir, name), err
}

// minUp walks from dir up to the mount point and returns the smallest non-zero
// limit found, with the file it came from.
func minUp(root fs.FS, m cgroupMount, dir string, read func(string) (float64, string, error)) (float64, string, error) {
	best, src := math.Inf(1), ""
	top := strings.TrimPrefix(path.Clean(m.point), "/")
	for d := dir; ; d = path.Dir(d) {
		v, s, err := read(d)
		if err != nil {
			return 0, "", err
		}
		if v > 0 && v < best {
			best, src = v, s
		}
		if d == top || d == "." || d == "/" || !strings.HasPrefix(d, top) {
			break
		}
	}
	if src == "" {
		return 0, "", nil
	}
	return best, src, nil
}

// cgroupDir maps a cgroup path from /proc/self/cgroup to a directory relative
// to the file system root, through the mount that holds it. A path outside the
// mounted subtree (a cgroup namespace, a bind mount) falls back to the mount
// point itself, which is what a container sees as its own cgroup.
func cgroupDir(m cgroupMount, cgPath string) string {
	root, p := path.Clean(m.root), path.Clean(cgPath)
	var rel string
	switch {
	case root == "/":
		rel = p
	case strings.HasPrefix(p, root+"/"):
		rel = p[len(root):]
	}
	return strings.TrimPrefix(path.Join(path.Clean(m.point), rel), "/")
}

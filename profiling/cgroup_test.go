package profiling

import (
	"errors"
	"os"
	"testing"
	"testing/fstest"
)

func TestParseCPUMax(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{"max 100000\n", 0, false},
		{"200000 100000\n", 2, false},
		{"50000 100000", 0.5, false},
		{"150000", 1.5, false}, // period omitted: the kernel default
		{"", 0, true},
		{"abc 100000", 0, true},
		{"100 0", 0, true},
		{"-5 100000", 0, true},
		{"1 2 3", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseCPUMax([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseCPUMax(%q) = %v, %v, want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrCgroup) {
				t.Errorf("parseCPUMax(%q) error %v does not wrap ErrCgroup", tt.in, err)
			}
		})
	}
}

func TestParseMemoryMax(t *testing.T) {
	tests := []struct {
		in      string
		want    uint64
		wantErr bool
	}{
		{"max\n", 0, false},
		{"536870912\n", 512 << 20, false},
		{"9223372036854771712\n", 0, false}, // v1 "unlimited"
		{"-1", 0, false},
		{"12k", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseMemoryMax([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseMemoryMax(%q) = %v, %v, want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseCPUV1(t *testing.T) {
	tests := []struct {
		quota, period string
		want          float64
		wantErr       bool
	}{
		{"-1\n", "100000\n", 0, false},
		{"300000\n", "100000\n", 3, false},
		{"25000", "50000", 0.5, false},
		{"25000", "0", 0, true},
		{"x", "100000", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.quota+"/"+tt.period, func(t *testing.T) {
			got, err := parseCPUV1([]byte(tt.quota), []byte(tt.period))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("parseCPUV1(%q, %q) = %v, %v, want %v, err %v", tt.quota, tt.period, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestParseMountInfo(t *testing.T) {
	in := `22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/with\040space rw,relatime - cgroup2 cgroup2 rw
`
	got, err := parseMountInfo([]byte(in))
	if err != nil {
		t.Fatalf("parseMountInfo() error %v", err)
	}
	want := []cgroupMount{
		{root: "/", point: "/sys/fs/cgroup/cpu,cpuacct", ctrls: []string{"cpu"}},
		{root: "/docker/abc", point: "/sys/fs/cgroup/memory", ctrls: []string{"memory"}},
		{root: "/", point: "/sys/fs/cgroup/with space", v2: true},
	}
	if len(got) != len(want) {
		t.Fatalf("parseMountInfo() = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.root != w.root || g.point != w.point || g.v2 != w.v2 || len(g.ctrls) != len(w.ctrls) {
			t.Errorf("parseMountInfo()[%d] = %+v, want %+v", i, g, w)
		}
	}
	for _, bad := range []string{"1 2 3 - cgroup2", "no separator cgroup2\n"} {
		if _, err := parseMountInfo([]byte(bad)); !errors.Is(err, ErrCgroup) {
			t.Errorf("parseMountInfo(%q) error = %v, want ErrCgroup", bad, err)
		}
	}
}

func TestParseProcCgroup(t *testing.T) {
	got, err := parseProcCgroup([]byte("12:memory:/a\n4:cpu,cpuacct:/b\n0::/c\n"))
	if err != nil {
		t.Fatalf("parseProcCgroup() error %v", err)
	}
	if !got.hasUnified || got.unified != "/c" || got.v1["memory"] != "/a" || got.v1["cpu"] != "/b" {
		t.Errorf("parseProcCgroup() = %+v, want unified /c, memory /a, cpu /b", got)
	}
	if _, err := parseProcCgroup([]byte("garbage\n")); !errors.Is(err, ErrCgroup) {
		t.Errorf("parseProcCgroup(garbage) error = %v, want ErrCgroup", err)
	}
}

// Fixture file systems shaped like real hosts.
func TestReadContainerLimits(t *testing.T) {
	v2mount := "30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
	tests := []struct {
		name string
		fs   fstest.MapFS
		want ContainerLimits
	}{
		{"no cgroups", fstest.MapFS{}, ContainerLimits{}},
		{"v2 container, namespaced", fstest.MapFS{
			"proc/self/mountinfo":        {Data: []byte(v2mount)},
			"proc/self/cgroup":           {Data: []byte("0::/\n")},
			"sys/fs/cgroup/cpu.max":      {Data: []byte("150000 100000\n")},
			"sys/fs/cgroup/memory.max":   {Data: []byte("268435456\n")},
			"sys/fs/cgroup/cgroup.procs": {Data: []byte("1\n")},
		}, ContainerLimits{CPU: 1.5, MemoryBytes: 256 << 20, CPUSource: "/sys/fs/cgroup/cpu.max", MemorySource: "/sys/fs/cgroup/memory.max"}},
		{"v2 nested, the parent is tighter for memory", fstest.MapFS{
			"proc/self/mountinfo":                        {Data: []byte(v2mount)},
			"proc/self/cgroup":                           {Data: []byte("0::/kubepods/pod1/ctr\n")},
			"sys/fs/cgroup/kubepods/pod1/ctr/cpu.max":    {Data: []byte("400000 100000\n")},
			"sys/fs/cgroup/kubepods/pod1/ctr/memory.max": {Data: []byte("max\n")},
			"sys/fs/cgroup/kubepods/pod1/cpu.max":        {Data: []byte("max 100000\n")},
			"sys/fs/cgroup/kubepods/pod1/memory.max":     {Data: []byte("1073741824\n")},
		}, ContainerLimits{CPU: 4, MemoryBytes: 1 << 30, CPUSource: "/sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", MemorySource: "/sys/fs/cgroup/kubepods/pod1/memory.max"}},
		{"v1 with a mount root", fstest.MapFS{
			"proc/self/mountinfo": {Data: []byte("32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n" +
				"35 31 0:32 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n")},
			"proc/self/cgroup": {Data: []byte("4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n")},
			"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us":  {Data: []byte("50000\n")},
			"sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": {Data: []byte("100000\n")},
			"sys/fs/cgroup/memory/memory.limit_in_bytes":             {Data: []byte("104857600\n")},
		}, ContainerLimits{CPU: 0.5, MemoryBytes: 100 << 20, CPUSource: "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", MemorySource: "/sys/fs/cgroup/memory/memory.limit_in_bytes"}},
		{"hybrid: v2 without controllers, v1 unlimited", fstest.MapFS{
			"proc/self/mountinfo": {Data: []byte("32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n" +
				"35 31 0:32 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n" +
				"41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n")},
			"proc/self/cgroup":                             {Data: []byte("4:memory:/x\n1:cpu:/\n0::/\n")},
			"sys/fs/cgroup/cpu/cpu.cfs_quota_us":           {Data: []byte("-1\n")},
			"sys/fs/cgroup/cpu/cpu.cfs_period_us":          {Data: []byte("100000\n")},
			"sys/fs/cgroup/memory/x/memory.limit_in_bytes": {Data: []byte("9223372036854771712\n")},
			"sys/fs/cgroup/unified/cgroup.procs":           {Data: []byte("1\n")},
		}, ContainerLimits{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readContainerLimits(tt.fs)
			if err != nil || got != tt.want {
				t.Errorf("readContainerLimits() = %+v, %v, want %+v", got, err, tt.want)
			}
		})
	}
}

func TestReadContainerLimitsCorrupt(t *testing.T) {
	fsys := fstest.MapFS{
		"proc/self/mountinfo":   {Data: []byte("30 23 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")},
		"proc/self/cgroup":      {Data: []byte("0::/\n")},
		"sys/fs/cgroup/cpu.max": {Data: []byte("lots 100000\n")},
	}
	if _, err := readContainerLimits(fsys); !errors.Is(err, ErrCgroup) {
		t.Errorf("readContainerLimits(corrupt cpu.max) error = %v, want ErrCgroup", err)
	}
}

// The real host: whatever it is, reading must not fail.
func TestReadContainerLimitsHost(t *testing.T) {
	lim, err := readContainerLimits(os.DirFS("/"))
	if err != nil {
		t.Fatalf("readContainerLimits(/) error %v", err)
	}
	t.Logf("host limits: %+v", lim)
	if lim.CPU < 0 || (lim.CPU > 0) != (lim.CPUSource != "") {
		t.Errorf("readContainerLimits(/) = %+v: CPU and its source disagree", lim)
	}
}

func FuzzParseMountInfo(f *testing.F) {
	f.Add([]byte("32 31 0:29 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ms, err := parseMountInfo(b)
		if err != nil && !errors.Is(err, ErrCgroup) {
			t.Fatalf("parseMountInfo(%q) error %v does not wrap ErrCgroup", b, err)
		}
		for _, m := range ms {
			_ = cgroupDir(m, "/a/../b")
		}
	})
}

func FuzzParseProcCgroup(f *testing.F) {
	f.Add([]byte("0::/\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := parseProcCgroup(b); err != nil && !errors.Is(err, ErrCgroup) {
			t.Fatalf("parseProcCgroup(%q) error %v does not wrap ErrCgroup", b, err)
		}
	})
}

func FuzzParseCgroupValue(f *testing.F) {
	f.Add([]byte("max 100000"), []byte("100000"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		for _, err := range []error{
			func() error { v, err := parseCPUMax(a); return check(v, err) }(),
			func() error { v, err := parseCPUV1(a, b); return check(v, err) }(),
			func() error { _, err := parseMemoryMax(a); return err }(),
		} {
			if err != nil && !errors.Is(err, ErrCgroup) {
				t.Fatalf("parse(%q, %q) error %v does not wrap ErrCgroup", a, b, err)
			}
		}
	})
}

// check turns a negative or NaN core count into an error the fuzzer reports.
func check(v float64, err error) error {
	if err == nil && !(v >= 0) {
		return errors.New("negative or NaN cores")
	}
	return err
}

package profiling

import (
	"maps"
	"runtime/debug"
	"slices"
	"strings"
)

// buildVersion returns the main module's version, or "devel" when the build carries none.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok || bi.Main.Version == "" || bi.Main.Version == "(devel)" {
		return "devel"
	}
	return bi.Main.Version
}

// pgoSetting returns the -pgo build setting (a profile path) or "off" when the binary was built without
// one, so profiles from PGO and non-PGO builds can be compared.
func pgoSetting() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "off"
	}
	for _, s := range bi.Settings {
		if s.Key == "-pgo" && s.Value != "" {
			return s.Value
		}
	}
	return "off"
}

// labelsOf returns the labels every profile of this process carries.
func labelsOf(c *Config) map[string]string {
	l := make(map[string]string, len(c.Labels)+5)
	maps.Copy(l, c.Labels)
	l["service"] = c.Service
	l["version"] = c.Version
	l["host"] = c.Host
	l["instance"] = c.Instance
	l["pgo"] = pgoSetting()
	return l
}

// labelComments renders labels as sorted "key=value" pprof comments, which `go tool pprof -comments`
// shows and the store reads back.
func labelComments(l map[string]string) []string {
	keys := slices.Sorted(maps.Keys(l))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, commentPrefix+k+"="+l[k])
	}
	return out
}

// commentPrefix marks the pprof comments that carry hotpath labels.
const commentPrefix = "hotpath:"

// labelsFromComments is the inverse of labelComments; other comments are ignored.
func labelsFromComments(cs []string) map[string]string {
	l := map[string]string{}
	for _, c := range cs {
		rest, ok := strings.CutPrefix(c, commentPrefix)
		if !ok {
			continue
		}
		if k, v, ok := strings.Cut(rest, "="); ok {
			l[k] = v
		}
	}
	return l
}

// sanitize maps s to a short token safe in a file name: [a-z0-9.-], at most 64 bytes. '_' is not kept:
// it separates the fields of store file names.
func sanitize(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		if b.Len() >= 64 {
			break
		}
	}
	out := strings.Trim(b.String(), ".")
	if out == "" {
		return "-"
	}
	return out
}

package profiling

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/google/pprof/profile"
)

// counterTypes are the sample types that runtime profiles report as totals since the process started.
// Every other sample type (inuse_objects, inuse_space, goroutine count) is a gauge: its current value is
// already the answer and subtracting an older one is wrong (net/http/pprof's ?seconds= does, and reports
// negative in-use memory).
var counterTypes = map[string]bool{
	"alloc_objects": true,
	"alloc_space":   true,
	"contentions":   true,
	"delay":         true,
}

// counters returns, per sample type of p, whether it is a counter.
func counters(p *profile.Profile) []bool {
	c := make([]bool, len(p.SampleType))
	for i, st := range p.SampleType {
		c[i] = counterTypes[st.Type]
	}
	return c
}

// delta returns a profile with cur's samples where every counter value is cur minus prev for the same
// stack and labels, and every gauge value is cur's. Samples whose values all become zero are dropped.
// prev may be nil (then cur is returned as is). cur is modified and returned.
func delta(prev, cur *profile.Profile) *profile.Profile {
	if prev == nil {
		return cur
	}
	isCounter := counters(cur)
	if !slices.Contains(isCounter, true) || !sameTypes(prev, cur) {
		return cur
	}
	base := make(map[string][]int64, len(prev.Sample))
	var kb []byte
	for _, s := range prev.Sample {
		kb = sampleKey(kb[:0], s)
		if v, ok := base[string(kb)]; ok {
			for i := range v {
				v[i] += s.Value[i]
			}
			continue
		}
		base[string(kb)] = slices.Clone(s.Value)
	}
	out := cur.Sample[:0]
	for _, s := range cur.Sample {
		kb = sampleKey(kb[:0], s)
		old := base[string(kb)]
		nonzero := false
		for i := range s.Value {
			if isCounter[i] && old != nil {
				s.Value[i] = max(s.Value[i]-old[i], 0)
			}
			nonzero = nonzero || s.Value[i] != 0
		}
		if old != nil {
			// The same stack may appear in several samples; subtract the base only once.
			delete(base, string(kb))
		}
		if nonzero {
			out = append(out, s)
		}
	}
	clear(cur.Sample[len(out):])
	cur.Sample = out
	return cur
}

func sameTypes(a, b *profile.Profile) bool {
	if len(a.SampleType) != len(b.SampleType) {
		return false
	}
	for i := range a.SampleType {
		if a.SampleType[i].Type != b.SampleType[i].Type || a.SampleType[i].Unit != b.SampleType[i].Unit {
			return false
		}
	}
	return true
}

// sampleKey identifies a sample across two parses of runtime profiles of the same process: program
// counters (or function and line when a location has no address) and the sample's labels.
func sampleKey(b []byte, s *profile.Sample) []byte {
	for _, l := range s.Location {
		if l.Address != 0 {
			b = binary.LittleEndian.AppendUint64(b, l.Address)
			continue
		}
		for _, ln := range l.Line {
			if ln.Function != nil {
				b = append(b, ln.Function.Name...)
			}
			b = binary.LittleEndian.AppendUint64(b, uint64(ln.Line))
		}
		b = append(b, 0)
	}
	b = append(b, 1)
	for _, k := range sortedKeys(s.Label) {
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, strings.Join(s.Label[k], ",")...)
		b = append(b, 0)
	}
	for _, k := range sortedKeys(s.NumLabel) {
		b = append(b, k...)
		for _, v := range s.NumLabel[k] {
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
		b = append(b, 0)
	}
	return b
}

func sortedKeys[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

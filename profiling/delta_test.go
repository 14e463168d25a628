package profiling

import (
	"testing"

	"github.com/google/pprof/profile"
)

// heapProfile builds a synthetic heap profile with one stack and the given values.
func heapProfile(allocObjects, allocSpace, inuseObjects, inuseSpace int64) *profile.Profile {
	fn := &profile.Function{ID: 1, Name: "main.alloc"}
	loc := &profile.Location{ID: 1, Address: 0x401000, Line: []profile.Line{{Function: fn, Line: 10}}}
	return &profile.Profile{
		SampleType: []*profile.ValueType{
			{Type: "alloc_objects", Unit: "count"}, {Type: "alloc_space", Unit: "bytes"},
			{Type: "inuse_objects", Unit: "count"}, {Type: "inuse_space", Unit: "bytes"},
		},
		Sample:     []*profile.Sample{{Location: []*profile.Location{loc}, Value: []int64{allocObjects, allocSpace, inuseObjects, inuseSpace}}},
		Location:   []*profile.Location{loc},
		Function:   []*profile.Function{fn},
		PeriodType: &profile.ValueType{Type: "space", Unit: "bytes"},
		Period:     512 * 1024,
	}
}

func TestDeltaCountersAndGauges(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur *profile.Profile
		want      []int64 // values of the single sample, nil when the sample must be dropped
	}{
		{"alloc 100->150 inuse 40->10", heapProfile(100, 100, 40, 40), heapProfile(150, 150, 10, 10), []int64{50, 50, 10, 10}},
		{"no baseline", nil, heapProfile(150, 150, 10, 10), []int64{150, 150, 10, 10}},
		{"nothing new and nothing in use", heapProfile(100, 100, 0, 0), heapProfile(100, 100, 0, 0), nil},
		{"counter reset never goes negative", heapProfile(100, 100, 5, 5), heapProfile(60, 60, 5, 5), []int64{0, 0, 5, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := delta(tt.prev, tt.cur)
			if tt.want == nil {
				if len(got.Sample) != 0 {
					t.Fatalf("delta() = %d samples, want 0", len(got.Sample))
				}
				return
			}
			if len(got.Sample) != 1 {
				t.Fatalf("delta() = %d samples, want 1", len(got.Sample))
			}
			for i, v := range got.Sample[0].Value {
				if v != tt.want[i] {
					t.Errorf("delta() %s = %d, want %d", got.SampleType[i].Type, v, tt.want[i])
				}
			}
		})
	}
}

// The stdlib way (scale the old profile by -1 and merge) subtracts gauges too; this is the bug the delta
// avoids, kept as a test so the difference stays visible.
func TestStdlibDeltaCorruptsGauges(t *testing.T) {
	prev, cur := heapProfile(100, 100, 40, 40), heapProfile(150, 150, 10, 10)
	prev.Scale(-1)
	m, err := profile.Merge([]*profile.Profile{prev, cur})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Sample[0].Value[3]; got != -30 {
		t.Fatalf("stdlib-style delta inuse_space = %d, want -30", got)
	}
}

package profiling

import (
	"errors"
	"testing"
	"time"

	"github.com/google/pprof/profile"
)

func TestMergePGO(t *testing.T) {
	withStart := func() *profile.Profile {
		p := routeProfile()
		for i, f := range p.Function {
			f.StartLine = int64(10*(i+1) - 1)
		}
		return p
	}
	heap := &profile.Profile{SampleType: []*profile.ValueType{{Type: "inuse_space", Unit: "bytes"}}}
	start := time.Date(2026, 12, 3, 17, 0, 0, 0, time.UTC)
	win := func(inst string, i int, length time.Duration, p *profile.Profile) PGOWindow {
		s := start.Add(time.Duration(i) * time.Minute)
		return PGOWindow{Instance: inst, Start: s, End: s.Add(length), Profile: p}
	}
	tests := []struct {
		name    string
		ws      []PGOWindow
		err     error
		windows int
		skipped int
		samples int64
	}{
		{"equal windows", []PGOWindow{win("a", 0, time.Minute, withStart()), win("b", 0, time.Minute, withStart())}, nil, 2, 0, 200},
		{"partial window skipped", []PGOWindow{win("a", 0, time.Minute, withStart()), win("a", 1, time.Minute, withStart()), win("a", 2, 20*time.Second, withStart())}, nil, 2, 1, 200},
		{"not a CPU profile", []PGOWindow{win("a", 0, time.Minute, heap)}, ErrBadRequest, 0, 0, 0},
		{"nothing", nil, ErrNotFound, 0, 0, 0},
		{"no start lines", []PGOWindow{win("a", 0, time.Minute, routeProfile())}, ErrBadRequest, 1, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, sum, err := MergePGO(tt.ws)
			if !errors.Is(err, tt.err) || sum.Windows != tt.windows || sum.Skipped != tt.skipped || sum.Samples != tt.samples {
				t.Fatalf("MergePGO = %+v, %v, want %d windows, %d skipped, %d samples, error %v", sum, err, tt.windows, tt.skipped, tt.samples, tt.err)
			}
			if err != nil {
				return
			}
			for _, s := range m.Sample {
				if len(s.Label) != 0 {
					t.Errorf("merged sample keeps labels %v", s.Label)
				}
			}
			if sum.Top[0].Name != "main.hot" || sum.Top[0].Share != 0.9 {
				t.Errorf("Top[0] = %+v, want main.hot at 90%%", sum.Top[0])
			}
		})
	}
}

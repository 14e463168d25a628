package main

import (
	"strings"
	"testing"
)

func TestCallsitesUsage(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no profile", []string{"callsites", "."}, "-profile is required"},
		{"bad format", []string{"callsites", "-format", "xml", "-profile", "x", "."}, `-format "xml"`},
		{"missing profile", []string{"callsites", "-profile", "/nonexistent/cpu.pprof", "."}, "bad profile"},
		{"heap profile", []string{"callsites", "-profile", "../../escape/callsites/testdata/heap.pb.gz", "."}, "want a CPU profile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runCmd(t, tt.args...)
			if code != exitUsage || !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("run(%q) = exit %d, stderr %q; want exit %d containing %q", tt.args, code, errOut, exitUsage, tt.wantErr)
			}
		})
	}
}

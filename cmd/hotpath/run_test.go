package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string // substring of stdout
		wantErr  string // substring of stderr
	}{
		{"no command", nil, exitUsage, "", "no command given"},
		{"unknown command", []string{"escpae"}, exitUsage, "", `unknown command "escpae"`},
		{"help", []string{"help"}, exitOK, "Commands:", ""},
		{"version", []string{"version"}, exitOK, "hotpath ", ""},
		{"version with args", []string{"version", "x"}, exitUsage, "", "unexpected arguments: x"},
		{"flag typo", []string{"version", "-nope"}, exitUsage, "", "flag provided but not defined: -nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := report(run(t.Context(), tt.args, &stdout, &stderr), &stderr)
			if code != tt.wantCode {
				t.Errorf("run(%q) exit = %d, want %d (stderr %q)", tt.args, code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("run(%q) stdout = %q, want it to contain %q", tt.args, stdout.String(), tt.wantOut)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("run(%q) stderr = %q, want it to contain %q", tt.args, stderr.String(), tt.wantErr)
			}
		})
	}
}

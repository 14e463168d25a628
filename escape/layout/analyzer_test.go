package layout_test

import (
	"testing"

	"github.com/hotpath-dev/hotpath/escape/layout"
	"golang.org/x/tools/go/analysis/analysistest"
)

func TestAnalyzer(t *testing.T) {
	dir := analysistest.TestData()
	tests := []struct {
		name  string
		pkg   string
		opts  layout.Options
		fixes bool
	}{
		{"padding", "padding", layout.Options{}, true},
		{"optimal order keeps comments", "order", layout.Options{}, true},
		{"false sharing", "sharing", layout.Options{}, false},
		{"explicit padding respected", "explicitpad", layout.Options{}, true},
		{"generics", "generics", layout.Options{}, false},
		{"all", "allorders", layout.Options{All: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := layout.NewAnalyzer(tt.opts)
			if tt.fixes {
				analysistest.RunWithSuggestedFixes(t, dir, a, tt.pkg)
				return
			}
			analysistest.Run(t, dir, a, tt.pkg)
		})
	}
}

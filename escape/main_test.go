package escape

import (
	"flag"
	"testing"

	"go.uber.org/goleak"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/go1.NN/")

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

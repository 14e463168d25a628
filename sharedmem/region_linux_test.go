package sharedmem

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// TestNewAnonymousAboveMemory asks for more memory than the machine has: the memfd must be
// refused before fallocate takes it all.
func TestNewAnonymousAboveMemory(t *testing.T) {
	avail, err := memAvailable()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = NewAnonymous(int(avail)+1<<30, Options{})
	if !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(), "of memory are available") {
		t.Fatalf("NewAnonymous(MemAvailable + 1 GiB) = %v, want ErrNoSpace", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing took %v: the memory was taken first", d)
	}
}

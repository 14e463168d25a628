package layout

import "testing"

func TestAllocSize(t *testing.T) {
	tests := []struct {
		size int64
		ptrs bool
		want int64
	}{
		{0, false, 0},
		{1, false, 8},
		{8, true, 8},
		{17, false, 24},
		{33, true, 48},
		{512, true, 512},  // exactly at the header threshold: no header
		{513, true, 576},  // 513+8 → 576
		{569, true, 640},  // 569+8 = 577 → 640
		{569, false, 576}, // no pointers, no header
		{32768, false, 32768},
		{32769, false, 40960}, // large objects round to 8 KiB pages
		{32761, true, 40960},  // 32761+8 > 32768
	}
	for _, tt := range tests {
		if got := AllocSize(tt.size, tt.ptrs, 8); got != tt.want {
			t.Errorf("AllocSize(%d, %v, 8) = %d, want %d", tt.size, tt.ptrs, got, tt.want)
		}
	}
}

package layout

import "sort"

// sizeClasses are the Go runtime's small-object size classes (internal/runtime/gc/sizeclasses.go,
// go1.26), in bytes. Objects above the last class are rounded up to whole 8 KiB pages.
var sizeClasses = [...]int64{
	8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384,
	416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688,
	3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288,
	13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768,
}

const (
	pageSize         = 8192
	mallocHeaderSize = 8 // runtime: one type pointer (8 bytes even on 32-bit)
)

// AllocSize is the bytes one heap object of size bytes occupies. Objects with pointers larger than
// ptrSize×ptrSize×8 bytes (512 on 64-bit) carry an 8-byte malloc header (go1.22+), which is added before
// rounding. Zero-size objects take no space.
func AllocSize(size int64, hasPointers bool, ptrSize int64) int64 {
	if size == 0 {
		return 0
	}
	if hasPointers && size > ptrSize*ptrSize*8 {
		size += mallocHeaderSize
	}
	if size > sizeClasses[len(sizeClasses)-1] {
		return (size + pageSize - 1) / pageSize * pageSize
	}
	i := sort.Search(len(sizeClasses), func(i int) bool { return sizeClasses[i] >= size })
	return sizeClasses[i]
}

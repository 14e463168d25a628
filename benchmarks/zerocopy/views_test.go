package zerocopy

import (
	"encoding/binary"
	"testing"

	"github.com/hotpath-dev/hotpath/benchmarks"
	"github.com/hotpath-dev/hotpath/zerocopy"
)

var (
	sinkString string
	sinkBytes  []byte
	sinkWords  []uint32
)

// BenchmarkBytesToString compares a view with the copying conversion string(b).
func BenchmarkBytesToString(b *testing.B) {
	for _, size := range benchmarks.Sizes {
		buf := make([]byte, size.Bytes)
		b.Run("size="+size.Name+"/op=copy", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size.Bytes))
			for b.Loop() {
				sinkString = string(buf)
			}
		})
		b.Run("size="+size.Name+"/op=view", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size.Bytes))
			for b.Loop() {
				sinkString = zerocopy.String(buf)
			}
		})
	}
}

// BenchmarkStringToBytes compares a view with the copying conversion []byte(s).
func BenchmarkStringToBytes(b *testing.B) {
	for _, size := range benchmarks.Sizes {
		s := string(make([]byte, size.Bytes))
		b.Run("size="+size.Name+"/op=copy", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size.Bytes))
			for b.Loop() {
				sinkBytes = []byte(s)
			}
		})
		b.Run("size="+size.Name+"/op=view", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size.Bytes))
			for b.Loop() {
				sinkBytes = zerocopy.Bytes(s)
			}
		})
	}
}

// BenchmarkTypedView compares Slice[uint32] with decoding the words into a new slice.
func BenchmarkTypedView(b *testing.B) {
	for _, size := range benchmarks.Sizes {
		words := make([]uint32, size.Bytes/4)
		buf := zerocopy.BytesOf(words)
		b.Run("size="+size.Name+"/op=copy", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size.Bytes))
			for b.Loop() {
				out := make([]uint32, len(buf)/4)
				for i := range out {
					out[i] = binary.NativeEndian.Uint32(buf[4*i:])
				}
				sinkWords = out
			}
		})
		b.Run("size="+size.Name+"/op=view", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(size.Bytes))
			for b.Loop() {
				sinkWords, _ = zerocopy.Slice[uint32](buf)
			}
		})
	}
}

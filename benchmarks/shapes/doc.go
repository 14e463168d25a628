// Package shapes measures the Go counterpart of V8's hidden classes: a fixed struct against a
// map[string]any record (Go's dynamic-shape trap), field order that wastes space in padding, and
// false sharing between two atomics written by two goroutines.
package shapes

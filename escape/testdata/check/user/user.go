// Package user is the only caller of inl.Big.
package user

import "checkdata/inl"

// Use calls inl.Big.
func Use(xs []int) int { return inl.Big(xs) + inl.Small(1) + inl.Max(2, 3) }

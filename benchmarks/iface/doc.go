// Package iface measures the Go counterpart of V8's monomorphic, polymorphic and megamorphic inline
// caches: a method call through an interface at one call site that sees one, three or eight concrete
// types, against a direct call on the concrete type.
//
// The concrete types are chosen at run time from a seed the compiler cannot see, so static
// devirtualisation cannot apply; only profile-guided optimisation can. iface.pgo is a CPU profile
// of these benchmarks; build with -pgo=iface.pgo to see which call sites PGO devirtualises (see
// TestPGODevirtualises and benchmarks/README.md).
package iface

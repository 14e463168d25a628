// Package inittrace parses the package initialisation trace that the Go runtime prints to standard
// error under GODEBUG=inittrace=1, and ranks packages by what their init cost.
//
// Each traced line looks like
//
//	init net/http @1.2 ms, 0.31 ms clock, 41424 bytes, 377 allocs
//
// that is: the package, when its init started (since the runtime started), how long it took on the
// wall clock, and what it allocated. Packages whose initialisation is all static data print nothing.
// Parse reads a whole stream and skips lines that are not init records, so a program's own output
// mixed into standard error does no harm.
package inittrace

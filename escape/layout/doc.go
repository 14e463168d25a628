// Package layout reports how Go lays out struct types in memory and when the layout costs something: padding, the
// pointer-bearing prefix the garbage collector scans, the heap size class a value lands in, and false
// sharing between fields that different goroutines write.
//
// It is the Go counterpart of V8's hidden classes: the shape of a value is fixed at compile time, so what
// matters is field order (padding, size class) and which fields share a cache line.
//
// # Usage
//
// [Inspect] lays out every named struct type of a type-checked package. [Analyzer] runs it as a
// golang.org/x/tools/go/analysis pass (go vet -vettool, gopls, singlecheckers) and reports a type only
// when it matters: the best field order lands in a smaller size class, or fields written by different
// goroutines share a cache line. The analyzer's -reportall flag (the command's -all) reports every
// type with a better order. The hotpath layout command adds a profile: it ranks types by the heap
// bytes their best order would save ([Rank]) and finds map[string]any records on hot lines
// ([MapRecords]). The layoutvet command (cmd/layoutvet) runs the analyzer under go vet -vettool.
//
// # What it never suggests
//
// Fields never move across explicit padding (a field named _ or of a type named like CacheLinePad), and
// the padding keeps its offset: the fields before it are reordered only if it stays where it is, since
// its job is to push what follows onto another cache line. An order that would put two independently
// written fields on one cache line is not suggested. A
// suggested rewrite keeps each field's comments; a struct with free-standing comments inside gets the
// order in the message but no rewrite.
//
// # Cache lines
//
// Cache lines are 64 bytes, numbered from the start of the struct as if it started on a line boundary.
// Fields count as written concurrently when they are sync/atomic types, are passed by address to
// sync/atomic functions, are a sync.Mutex or sync.RWMutex, or are guarded by one. A comment "guarded by
// mu" (or "protected by mu", or "guarded by T.mu" for a lock elsewhere) names the mutex; otherwise a
// mutex guards the rest of its declaration block (up to a blank line), or the next block when it ends
// its own ("mu sync.Mutex // guards the fields below"). An atomic whose comments name a mutex of the
// struct, or that the mutex's comments name, is written together with it. Each atomic, and each mutex
// with its fields, is one writer group; two groups on one line are reported.
package layout

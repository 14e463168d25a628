// Package sharedmem is shared memory between processes for Go: the counterpart of JavaScript's
// SharedArrayBuffer and Atomics, reaching across process boundaries, plus a zero-copy ring of
// records on top.
//
// Goroutines already share memory; this package is for two processes on one host that want to
// exchange data without a system call per message: a sidecar and its service, a supervisor and
// its workers, a hot-restarted server and its successor.
//
// # Regions
//
// A Region is a mapping of shared memory. Create makes a named one under /dev/shm (exclusive
// create, no symlinks followed, mode 0600 by default) and Open maps it in another process after
// checking its owner and its header: a magic number, the user's layout version and tag, the total
// size and the creator's pid, guarded by a checksum, so that a stale or foreign segment fails with
// a clear error such as
//
//	sharedmem: open "orders": layout version 3, want 2
//
// NewAnonymous makes an unnamed region on a memfd, which a child process inherits through
// exec.Cmd.ExtraFiles and maps with FromFile. Create reserves the region's space with fallocate, so
// a full /dev/shm (Docker's default is 64 MB) fails Create with ErrNoSpace instead of killing the
// process with SIGBUS when the memory is first touched.
//
// If another process truncates the file, touching the lost pages raises SIGBUS, which kills a Go
// program by default. ReadAt, WriteAt, the ring's methods and Guard run with
// debug.SetPanicOnFault and report ErrTruncated instead; Check compares the file's size with the
// mapping. The package cannot guard the caller's own code: filling a slice from Reserve, reading
// one from Read, or touching Bytes or a view faults in the caller. When a peer might truncate a
// named region, run that code inside Guard. A memfd region is sealed against shrinking
// (Region.Sealed): nobody can truncate it, and its rings skip the guard.
//
// Close releases the shared memory but leaves private zero pages at its addresses, so a slice or
// view used after Close reads zeros instead of crashing; ring calls return ErrClosed.
//
// # Atomic views
//
// Int32s, Uint32s, Int64s and Uint64s are views of cells at an offset in a region with Load,
// Store, Add, Swap and CompareAndSwap. An offset that is not a multiple of the cell size is
// refused when the view is made (ErrMisaligned): an unaligned 64-bit atomic faults on arm64 and
// panics on 32-bit platforms. The 32-bit views add Wait and Notify, a futex shared between
// processes (Atomics.wait and Atomics.notify).
//
// # Ring
//
// A Ring carries variable-length records from producers to one consumer. Reserve returns a slice
// of shared memory to fill and Commit publishes it; Read returns a slice of shared memory and
// Release frees it, so a record is written once and never copied. A single-producer ring publishes
// in batches (EndpointConfig.Batch); an MPSC ring lets producers claim space with a
// compare-and-swap and commit each record with one atomic store. A blocked side spins for a while
// and then sleeps on a futex; the other side makes the wake system call only when a sleeper has
// raised its flag.
//
// The consumer finds records by following their headers: each carries a tag of its position, and
// the consumer takes the one at its position once the tag matches, so a record reaches it in the
// cache lines it is written in, with no separate position to read first. A record becomes visible
// through one atomic store made after its payload is complete: the header of the first record of
// a single producer's batch, or each MPSC record's header. A single producer keeps the free space
// ahead of its records zeroed, so that nothing an earlier lap left there reads as a record, and so
// that the lines it writes next are already its own; an MPSC consumer zeroes what it releases.
//
// The ring survives a crashed or hostile peer. A producer killed between Reserve and Commit never
// exposes a torn record. Each side records its pid and a heartbeat: Read reports ErrPeerDead when
// a producer died, and Consumer.Recover clears what it left. Every position and length read from
// shared memory is checked before use; an impossible one is ErrCorrupt, never an out-of-bounds
// access. A single producer that stops on a full ring or closes leaves its position in shared
// memory, so a record header another process zeroed below it is ErrCorrupt too, not a wait for
// a record that never comes. (Garbage that decodes as a valid record is delivered: the ring
// checks structure, not content.) A consumer that closes makes a producer waiting for room
// return ErrClosed. On an MPSC ring, producers claim space before writing it, so a missing
// header looks like a slow producer and the consumer waits for it.
//
// # Batches
//
// Reserve, Commit, Read and Release cost a few calls, bounds checks and atomics per record, which
// dominates for small records. The batched calls pay them once per batch. On a single-producer
// ring, ReserveBatch(n, size) reserves up to n records of one size laid out back to back (as
// many as fit before the buffer's end and the consumer's position, at least one) as a Batch
// whose Record(i) is a slice of shared memory; CommitBatch(k) writes the headers of the first k
// and publishes them with one atomic store (the first header, written last), so the consumer sees
// the whole batch or none of it. ReadBatch(fn) calls fn with every record available (fn returns
// false to stop early) and releases them together; it reads MPSC rings too. Batched and single-record calls mix
// freely on one ring, and the record layout is the same, so a peer using one API reads what the
// other wrote. ReadBatch checks every header against the buffer and the consumer's position
// before fn sees its payload, as Read does.
//
// # Overhead
//
// Measured on a 2-vCPU VM with nothing else running (benchmarks/sharedmem, medians of 16
// interleaved runs): a 64-byte round trip between two processes takes 220ns spinning (SpinForever)
// in a memfd region, 235ns in a named region whose loop runs inside Region.Guard with Unguarded
// endpoints and 265ns with the guard per call, against 125ns for one word bounced between two
// cache lines: the record and its header span two lines. A 56-byte record shares one line with its
// header: 185ns. Sleeping on a futex with EndpointConfig.Poll < 0 the round trip takes 6.3µs
// (7.7µs with the default 100ms poll timer), against 6.6µs for a pipe and 11.9µs for a Unix
// socket. Spinning holds only while both processes own a core; when they do not, a round trip
// collapses to the scheduler's time slice: spin only on dedicated cores. 64 KiB records stream at
// about two thirds of an in-process copy.
//
// Batches cut the bookkeeping: 64-byte records cost 13-14ns each through ReserveBatch,
// CommitBatch and ReadBatch in one goroutine (both sides, one copy in and one out), against 28ns
// through the single-record calls (47ns with a guard per call). Streaming between two processes,
// batches of 256 reached a median of 100-111M records/s (6-7 GB/s) on an idle machine, against
// 28-36M single. At a load average of 5-8 they fell to about 21M: the two sides then share about
// one core, and moving the records' cache lines between cores costs more than the ring's
// bookkeeping.
//
// # Platforms
//
// Named regions, memfd and futex need Linux. Elsewhere the package compiles; NewAnonymous returns
// a region on the Go heap (usable between goroutines), named regions return ErrUnsupported, and
// Wait polls with a growing sleep, returning when the value changes.
//
// # Concurrency
//
// Regions, views and Rings are safe for concurrent use. A Producer or a Consumer belongs to one
// goroutine at a time. Cells use the machine's byte order: share regions only between processes on
// one host.
package sharedmem

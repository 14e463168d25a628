// Package sharing has fields written by different goroutines on one cache line.
package sharing

import (
	"sync"
	"sync/atomic"
)

// Queue's producer and consumer counters share line 0.
type Queue struct { // want `struct Queue: false sharing: head, tail: 2 independently written groups \(head, tail\) share cache line 0`
	head atomic.Uint64 // consumer
	tail atomic.Uint64 // producer
}

// Padded keeps them apart.
type Padded struct {
	head atomic.Uint64
	_    [56]byte
	tail atomic.Uint64
}

// Stats mixes a mutex-guarded group with an atomic.
type Stats struct { // want `struct Stats: false sharing: mu, count, hits: 2 independently written groups \(mu, hits\) share cache line 0`
	mu    sync.Mutex
	count int
	hits  atomic.Int64 // counted without the lock
}

// TwoLocks has fields guarded by different mutexes, named in comments.
type TwoLocks struct { // want `struct TwoLocks: false sharing: a, b, readMu, writeMu: 2 independently written groups \(readMu, writeMu\) share cache line 0`
	a       int // guarded by readMu
	b       int // protected by writeMu
	readMu  sync.Mutex
	writeMu sync.Mutex
}

// Legacy uses the sync/atomic functions on plain fields.
type Legacy struct { // want `struct Legacy: false sharing: sent, recv: 2 independently written groups \(sent, recv\) share cache line 0`
	sent int64
	recv int64
}

func (l *Legacy) Send() { atomic.AddInt64(&l.sent, 1) }
func (l *Legacy) Recv() { atomic.AddInt64(&l.recv, 1) }

// shard is 8 bytes: eight shards share each cache line.
type shard struct { // want `struct shard: false sharing between elements of \[8\]shard at sharing.go:\d+: elements are 8 bytes, so up to 8 neighbours share a cache line and contend on n; pad shard to 64 bytes`
	n atomic.Int64
}

var shards [8]shard

func Add(i int) { shards[i%len(shards)].n.Add(1) }

// wideShard is a full line: no sharing between elements.
type wideShard struct {
	n atomic.Int64
	_ [56]byte
}

var wide []wideShard

func AddWide(i int) { wide[i].n.Add(1) }

// Paired documents its mutex and atomic as working together: one writer group, no report.
type Paired struct {
	// mu is held while ready is set; readers check ready without the lock.
	mu    sync.Mutex
	ready atomic.Bool

	data []byte
}

// Blocks: mu guards a and b (its block); c, after the blank line, is unguarded; counter is on its own.
type Blocks struct { // want `struct Blocks: false sharing: mu, a, b, counter: 2 independently written groups \(mu, counter\) share cache line 0`
	mu sync.Mutex
	a  int
	b  int

	c       int
	counter atomic.Int64
}

// Below uses the "guards the fields below" form: the mutex ends its block and guards the next one.
type Below struct { // want `struct Below: false sharing: mu, n, hits: 2 independently written groups \(mu, hits\) share cache line 0`
	mu sync.Mutex // guards the fields below

	n int

	hits atomic.Int64
}

package profiling

import "sync"

// item is one batch waiting for the sinks; done, if set, is closed once every sink has seen it.
type item struct {
	b    *Batch
	done chan struct{}
}

// queue is a bounded FIFO that drops its oldest item when full, counting the drops.
type queue struct {
	mu      sync.Mutex
	items   []item
	limit   int
	dropped int64
	closed  bool
	ready   chan struct{} // capacity 1: a wake-up for pop
}

func newQueue(limit int) *queue {
	return &queue{limit: limit, ready: make(chan struct{}, 1)}
}

func (q *queue) push(it item) {
	q.mu.Lock()
	if len(q.items) == q.limit {
		old := q.items[0]
		q.items = q.items[1:]
		q.dropped++
		if old.done != nil {
			close(old.done)
		}
	}
	q.items = append(q.items, it)
	q.mu.Unlock()
	q.wake()
}

func (q *queue) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop blocks until an item is queued; it reports false once the queue is closed and empty.
func (q *queue) pop() (item, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			it := q.items[0]
			q.items = q.items[1:]
			q.mu.Unlock()
			return it, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return item{}, false
		}
		<-q.ready
	}
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.wake()
}

func (q *queue) drop(n int64) {
	q.mu.Lock()
	q.dropped += n
	q.mu.Unlock()
}

func (q *queue) droppedCount() int64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

package sharedmem_test

import (
	"errors"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/hotpath-dev/hotpath/sharedmem"
)

// A ring in an anonymous region. Between processes, the child would map the same region with
// FromFile(os.NewFile(3, "region"), opts) after receiving r.File() through exec.Cmd.ExtraFiles
// (see examples/ipc).
func ExampleRing() {
	cfg := sharedmem.RingConfig{Capacity: 1 << 16}
	r, err := sharedmem.NewAnonymous(sharedmem.RingSize(cfg), sharedmem.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	ring, err := sharedmem.NewRing(r, 0, cfg)
	if err != nil {
		log.Fatal(err)
	}
	p, _ := ring.NewProducer(sharedmem.EndpointConfig{})
	c, _ := ring.NewConsumer(sharedmem.EndpointConfig{})
	defer c.Close()

	for _, msg := range []string{"order 1", "order 2"} {
		b, err := p.Reserve(len(msg)) // a slice of shared memory
		if err != nil {
			log.Fatal(err)
		}
		copy(b, msg)
		p.Commit()
	}
	p.Close()

	for {
		b, err := c.Read() // points into shared memory until Release
		if err != nil {
			fmt.Println("then:", err)
			break
		}
		fmt.Println(string(b))
		c.Release()
	}
	// Output:
	// order 1
	// order 2
	// then: sharedmem: read "memfd": closed
}

// Records of one size in batches: one ReserveBatch, one CommitBatch (one publication) and one
// ReadBatch (one release) for many records, each still written and read in place.
func ExampleProducer_ReserveBatch() {
	cfg := sharedmem.RingConfig{Capacity: 1 << 16}
	r, err := sharedmem.NewAnonymous(sharedmem.RingSize(cfg), sharedmem.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	ring, err := sharedmem.NewRing(r, 0, cfg)
	if err != nil {
		log.Fatal(err)
	}
	p, _ := ring.NewProducer(sharedmem.EndpointConfig{})
	c, _ := ring.NewConsumer(sharedmem.EndpointConfig{})
	defer c.Close()

	batch, err := p.ReserveBatch(4, 8) // up to 4 records of 8 bytes, at least 1
	if err != nil {
		log.Fatal(err)
	}
	for i := range batch.Len() {
		copy(batch.Record(i), fmt.Sprintf("tick %03d", i))
	}
	p.CommitBatch(batch.Len()) // all of them become visible at once
	p.Close()

	n, err := c.ReadBatch(func(rec []byte) bool {
		fmt.Println(string(rec)) // valid during the call only
		return true
	})
	fmt.Println(n, "records,", err)
	// Output:
	// tick 000
	// tick 001
	// tick 002
	// tick 003
	// 4 records, <nil>
}

// Atomic cells with wait and notify, as Atomics does in JavaScript.
func ExampleInt32s() {
	r, err := sharedmem.NewAnonymous(4096, sharedmem.Options{Version: 1})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	cells, err := r.Int32s(0, 2)
	if err != nil {
		log.Fatal(err)
	}
	cells.Add(0, 5)
	fmt.Println(cells.Load(0), cells.CompareAndSwap(0, 5, 6), cells.Load(0))
	res, _ := cells.Wait(1, 1, 0) // cell 1 holds 0, not 1: no sleep
	fmt.Println(res)
	_, err = r.Int64s(4, 1)
	fmt.Println(err)
	// Output:
	// 5 true 6
	// not-equal
	// sharedmem: view "memfd": int64 view at offset 4, want a multiple of 8
}

// Open refuses a region whose layout does not match.
func ExampleOpen() {
	name := fmt.Sprintf("example-orders-%d", os.Getpid())
	r, err := sharedmem.Create(name, 4096, sharedmem.Options{Version: 3})
	if err != nil {
		log.Fatal(err)
	}
	defer sharedmem.Remove(name)
	defer r.Close()
	_, err = sharedmem.Open(name, sharedmem.Options{Version: 2})
	fmt.Println(errors.Is(err, sharedmem.ErrBadHeader))
	fmt.Println(strings.Replace(err.Error(), name, "orders", 1)) // the name varies by process
	// Output:
	// true
	// sharedmem: open "orders": layout version 3, want 2
}

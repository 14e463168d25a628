package heavy

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
)

// Serve runs the benchmark service: it listens on -addr (default 127.0.0.1:0), prints
// "listening on ADDR" on stdout, and serves /healthz (no dependency) and /lookup?key=… (uses get).
func Serve(get func() *Index) {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("/lookup", func(w http.ResponseWriter, r *http.Request) {
		v, ok := get().Lookup(r.URL.Query().Get("key"))
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(strconv.Itoa(v) + "\n"))
	})
	fmt.Fprintln(os.Stderr, http.Serve(ln, mux))
	os.Exit(1)
}

package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/hotpath-dev/hotpath/profiling"
)

// Limits of one fetch from an endpoint.
const (
	pgoFetchTimeout = 30 * time.Second // per request
	pgoMaxProfile   = 64 << 20         // bytes of one window
	pgoMaxList      = 16 << 20         // bytes of one /api/profiles answer
)

// headerFlags collects repeated -header "Name: value" flags.
type headerFlags http.Header

func (h headerFlags) String() string { return "" }

func (h headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("want \"Name: value\", got %q", v)
	}
	http.Header(h).Add(strings.TrimSpace(name), strings.TrimSpace(value))
	return nil
}

func runPGO(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("pgo", "-o default.pgo [-window 1h] SOURCE...\n\nSOURCE is a hotpath endpoint URL (where profiling.Handler is mounted) or a local store directory.", stderr)
	out := fs.String("o", "default.pgo", "write the merged CPU profile to this `file`")
	window := fs.Duration("window", time.Hour, "merge the CPU windows of this last `duration` (0: all stored)")
	header := headerFlags{}
	fs.Var(header, "header", "add an HTTP `header` (\"Name: value\") to endpoint requests; repeatable")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return usageError("pgo: no SOURCE given")
	}
	if *window < 0 {
		return usageError("pgo: -window %v is negative", *window)
	}
	var from time.Time
	if *window > 0 {
		from = time.Now().Add(-*window)
	}
	var ws []profiling.PGOWindow
	for _, src := range fs.Args() {
		got, err := pgoSource(ctx, src, from, http.Header(header))
		if err != nil {
			return err
		}
		ws = append(ws, got...)
	}
	merged, sum, err := profiling.MergePGO(ws)
	if err != nil {
		return fmt.Errorf("pgo: %w", err)
	}
	var buf bytes.Buffer
	if err := merged.Write(&buf); err != nil {
		return fmt.Errorf("pgo: encode: %w", err)
	}
	if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
		return fmt.Errorf("pgo: write %s: %w", *out, err)
	}
	printPGOSummary(stdout, *out, buf.Len(), sum)
	return nil
}

// pgoSource reads the CPU windows since from of one SOURCE.
func pgoSource(ctx context.Context, src string, from time.Time, header http.Header) ([]profiling.PGOWindow, error) {
	if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
		return endpointPGOWindows(ctx, src, from, header)
	}
	info, err := os.Stat(src)
	if err != nil {
		return nil, usageError("pgo: source %q: neither an http(s) URL nor a store directory: %v", src, err)
	}
	if !info.IsDir() {
		return nil, usageError("pgo: source %q: not a directory (want a store directory or an endpoint URL)", src)
	}
	ws, err := profiling.StorePGOWindows(src, from, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("pgo: source %s: %w", src, err)
	}
	return ws, nil
}

// endpointPGOWindows lists the CPU windows of an endpoint and fetches each one.
func endpointPGOWindows(ctx context.Context, base string, from time.Time, header http.Header) ([]profiling.PGOWindow, error) {
	base = strings.TrimSuffix(base, "/")
	q := url.Values{"kind": {"cpu"}}
	if !from.IsZero() {
		q.Set("from", from.UTC().Format(time.RFC3339Nano))
	}
	body, err := fetch(ctx, base+"/api/profiles?"+q.Encode(), header, pgoMaxList)
	if err != nil {
		return nil, fmt.Errorf("pgo: source %s: %w", base, err)
	}
	var list struct {
		Labels  map[string]string `json:"labels"`
		Entries []profiling.Entry `json:"entries"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, fmt.Errorf("pgo: source %s: list windows: %w", base, err)
	}
	var ws []profiling.PGOWindow
	for _, e := range list.Entries {
		if e.Kind != profiling.KindCPU || e.Source != "window" {
			continue
		}
		q := url.Values{"kind": {"cpu"}, "from": {e.Start.UTC().Format(time.RFC3339Nano)}, "to": {e.End.UTC().Format(time.RFC3339Nano)}}
		data, err := fetch(ctx, base+"/api/profile?"+q.Encode(), header, pgoMaxProfile)
		if err != nil {
			return nil, fmt.Errorf("pgo: source %s: window %s: %w", base, e.Start.UTC().Format(time.RFC3339), err)
		}
		p, err := profile.ParseData(data)
		if err != nil {
			return nil, fmt.Errorf("pgo: source %s: window %s: %w", base, e.Start.UTC().Format(time.RFC3339), err)
		}
		instance := cmp.Or(e.Instance, list.Labels["instance"])
		for _, c := range p.Comments {
			if v, ok := strings.CutPrefix(c, "hotpath:instance="); ok {
				instance = v
			}
		}
		ws = append(ws, profiling.PGOWindow{Instance: instance, Start: e.Start, End: e.End, Profile: p})
	}
	return ws, nil
}

// fetch GETs rawURL and returns its body, at most limit bytes.
func fetch(ctx context.Context, rawURL string, header http.Header, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, pgoFetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %s", rawURL, resp.Status, bytes.TrimSpace(body[:min(len(body), 300)]))
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("GET %s: answer larger than %d bytes", rawURL, limit)
	}
	return body, nil
}

// writeFileAtomic writes data to path through a temporary file in the same directory.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".hotpath-pgo-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

func printPGOSummary(w io.Writer, path string, size int, s profiling.PGOSummary) {
	fmt.Fprintf(w, "wrote %s (%d bytes): %d CPU windows of %v from %d instances, %d samples (%v of CPU)\n",
		path, size, s.Windows, s.Length, len(s.Instances), s.Samples, s.CPU.Round(time.Millisecond))
	if s.Skipped > 0 {
		fmt.Fprintf(w, "skipped %d windows of another length (partial windows at start-up or shutdown)\n", s.Skipped)
	}
	for _, inst := range sortedKeys(s.Instances) {
		fmt.Fprintf(w, "  instance %-24s %d windows\n", inst, s.Instances[inst])
	}
	fmt.Fprintln(w, "top functions by CPU (flat):")
	for _, f := range s.Top {
		fmt.Fprintf(w, "  %5.1f%%  %s\n", 100*f.Share, f.Name)
	}
	fmt.Fprintf(w, "build with: go build -pgo=%s (or name it default.pgo in the main package's directory)\n", path)
}

func sortedKeys(m map[string]int) []string { return slices.Sorted(maps.Keys(m)) }

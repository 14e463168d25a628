package zerocopy

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrapKeepsEveryInterface(t *testing.T) {
	inner := &fullWriter{ResponseWriter: httptest.NewRecorder()}
	w := Wrap(Wrap(Wrap(inner, Hooks{}), Hooks{WriteHeader: func(int) {}}), Hooks{Body: func(int64, Path) {}})
	checks := []struct {
		name string
		ok   bool
	}{
		{"http.Flusher", is[http.Flusher](w)},
		{"http.Hijacker", is[http.Hijacker](w)},
		{"io.ReaderFrom", is[io.ReaderFrom](w)},
		{"http.Pusher", is[http.Pusher](w)},
		{"Unwrap", is[interface{ Unwrap() http.ResponseWriter }](w)},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("Wrap(Wrap(Wrap(full writer))) is not a %s, want it kept", c.name)
		}
	}
	if err := w.(http.Pusher).Push("/style.css", nil); err != nil || inner.pushed != "/style.css" {
		t.Errorf("Push through Wrap = %v, inner saw %q; want nil, %q", err, inner.pushed, "/style.css")
	}
	if hidesReaderFrom(w) != nil {
		t.Errorf("hidesReaderFrom(Wrap chain) = %T, want nil", hidesReaderFrom(w))
	}
	naive := struct{ http.ResponseWriter }{w}
	if got := hidesReaderFrom(naive); got == nil {
		t.Errorf("hidesReaderFrom(struct{http.ResponseWriter}) = nil, want the wrapper")
	}
}

func is[T any](v any) bool {
	_, ok := v.(T)
	return ok
}

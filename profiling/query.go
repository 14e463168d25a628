package profiling

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// parseTime reads a time query value: RFC 3339, Unix seconds, "now", or a negative duration relative
// to now ("-1h30m"). The empty string gives the zero time (an open end).
func parseTime(name, v string, now time.Time) (time.Time, error) {
	switch {
	case v == "":
		return time.Time{}, nil
	case v == "now":
		return now, nil
	case strings.HasPrefix(v, "-"):
		d, err := time.ParseDuration(v)
		if err == nil {
			return now.Add(d), nil
		}
	default:
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 && n < 1<<40 {
			return time.Unix(n, 0), nil
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: %s=%q: want RFC 3339, Unix seconds, now, or a negative duration such as -1h", ErrBadRequest, name, v)
}

// parseRange reads the from/to pair named by the two keys; from must not be after to.
func parseRange(q url.Values, fromKey, toKey string, now time.Time) (from, to time.Time, err error) {
	if from, err = parseTime(fromKey, q.Get(fromKey), now); err != nil {
		return
	}
	if to, err = parseTime(toKey, q.Get(toKey), now); err != nil {
		return
	}
	if !from.IsZero() && !to.IsZero() && from.After(to) {
		err = fmt.Errorf("%w: %s is after %s", ErrBadRequest, fromKey, toKey)
	}
	return
}

// parseSeconds reads ?seconds=, defaulting to def and capped at max.
func parseSeconds(q url.Values, def, max int) (time.Duration, error) {
	v := q.Get("seconds")
	if v == "" {
		return time.Duration(min(def, max)) * time.Second, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: seconds=%q: want a positive integer", ErrBadRequest, v)
	}
	if n > max {
		return 0, fmt.Errorf("%w: seconds=%d: over the limit of %d", ErrBadRequest, n, max)
	}
	return time.Duration(n) * time.Second, nil
}

// parseKindParam reads ?kind=, which is required.
func parseKindParam(q url.Values) (Kind, error) {
	v := q.Get("kind")
	if v == "" {
		return "", fmt.Errorf("%w: kind is required", ErrBadRequest)
	}
	k, err := ParseKind(v)
	if err != nil {
		return "", fmt.Errorf("%w: kind=%q: unknown kind", ErrBadRequest, v)
	}
	return k, nil
}

// Package coldstart measures the Go counterpart of a serverless cold start: the time from starting a
// real process to its first successful HTTP response, for the same service with its heavy dependency
// built eagerly (a package-level variable, run before main) or lazily (sync.OnceValue, on first use).
//
// Two first requests are timed: /healthz, which does not need the dependency, and /lookup, which does.
// Laziness moves the cost; it removes it only from requests that never need the dependency.
//
// The programs are in eager/ and lazy/; "hotpath coldstart" shows the same cost per package from
// GODEBUG=inittrace=1.
package coldstart

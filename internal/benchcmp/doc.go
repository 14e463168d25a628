// Package benchcmp compares two sets of Go benchmark results with the statistics of golang.org/x/perf
// and decides, per benchmark and unit, whether a change is real and whether it is a regression.
//
// It is the engine of "hotpath bench": benchfmt parses the results, benchmath summarises each sample
// (median and confidence interval) and compares the two sides (Mann–Whitney U test, or exact
// comparison for deterministic units), and the report adds a verdict per row, a geomean per table and
// the list of regressions a CI gate fails on.
//
// # Counts and exact units
//
// The U test is only trustworthy here with equal run counts: with ties (values that repeat, common in
// B/op and allocs/op) and unequal counts, go-moremath's exact U test returns a p-value that depends on
// which sample is passed first. So:
//
//   - B/op and allocs/op are compared as exact when every run on each side reports the same value,
//     as are units a results file marks "assume=exact"; a difference in an exact unit is always
//     significant. If the runs of a side disagree, the unit is compared like any other.
//   - With Options.EqualCounts (what "hotpath bench" sets, since it runs both sides the same number
//     of times) unequal counts are an error wrapping ErrUnequalCounts. Otherwise the row is compared
//     both ways, the larger p is kept and the row carries a warning.
//
// # Verdicts
//
// A row is "~" when the difference is not significant at Options.Alpha. A significant change is
// "better" or "worse" by the unit's direction (lower is better for time and allocation units, higher
// for throughput; "changed" when the direction is unknown), and a worse change at least
// Options.Threshold in size is a regression. A benchmark present on one side only is "missing"; when
// every benchmark is, there is nothing to compare and Compare fails with ErrNothingInCommon, so that
// a gate never reads two unrelated files as "no regressions".
package benchcmp

package main

import (
	"flag"
	"fmt"
	"strings"
)

// setHelp appends text (what the command does, its exit codes) to fs's usage message.
func setHelp(fs *flag.FlagSet, text string) {
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprintf(fs.Output(), "\n%s\n", strings.TrimSpace(text))
	}
}

const checkHelp = `
Directives are comments next to the code:

  //hotpath:inline     on a function: it must be inlinable (checked at its definition, whoever calls it);
                       on a line: every call to a Go function there must be inlined (calls in dead code
                       are reported as eliminated, not as failures)
  //hotpath:noescape   on a function: nothing in it moves to the heap and no parameter, or what it points
                       to, leaks to the heap (flowing to a result is fine); on a line: nothing allocated,
                       or whose address is taken, on the line escapes
  //hotpath:nobce      on a function or a line: no bounds check remains
  //hotpath:devirt     on a line only: its interface call is devirtualised, statically or by PGO

A directive in a function's doc comment covers the function; one that trails a line covers that line, and
one alone on a line covers the next line of code. Kinds combine: //hotpath:inline,noescape. An unknown or
misplaced directive is itself a failure.

Exit status: 0 every directive holds; 1 a directive failed or is malformed; 2 usage error, or the
packages do not build (the compiler's errors are shown as it printed them).`

const diffHelp = `
Compares two reports written by "hotpath escape -format json". Facts are matched without line numbers,
so moved code is not a change; regressions (new heap allocations and leaks, lost inlining, new bounds
checks, lost devirtualisation) come first; packages in one report only are named and not compared.

Exit status: 0 compared (whatever changed, unless -fail-on says otherwise); 1 -fail-on matched;
2 usage error or a file that is not a report.`

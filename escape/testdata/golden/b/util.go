// Package b also has a util.go and instantiates a.Clone: the compiler's JSON log names both util.json.
package b

import "golden/a"

// Use instantiates the generic a.Clone with a large type.
func Use(p *a.Big) a.Big { return a.Clone[a.Big](p) }

// Own copies a large array in b's util.go.
func Own(p *[40]int) [40]int { return *p }

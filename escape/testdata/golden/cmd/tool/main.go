// Command tool is a main package: the compiler logs it as package "main".
package main

import "golden/kinds"

func main() { println(kinds.Caller(), kinds.Box(1) != nil) }

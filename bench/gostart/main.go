// Command gostart does nothing. Built static, its start is the reference
// that `make bench` divides process overheads by: the cost of starting
// one trivial Go program on this machine, measured in the same run.
package main

func main() {}

package confine

// entry is the confining copy's program entry point on linux/amd64 when
// nono-run-confine is linked with -E (see the Makefile and entry_linux_amd64.s):
// it does execConfined's work with bare system calls before the Go runtime
// starts, and hands everything else to the runtime's own entry.
func entry()

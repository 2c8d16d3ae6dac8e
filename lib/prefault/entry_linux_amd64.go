package prefault

// entry is the program entry point of the tools on linux/amd64 when linked
// with -E=EntrySymbol: it populates the program image and starts the
// runtime (entry_linux_amd64.s).
func entry()

// Command opens opens and closes one file N times and prints the
// nanoseconds it took: bench/capability.sh runs it in the sandbox with
// and without the capability notifier.
//
//	opens FILE N
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: opens FILE N")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	start := time.Now()
	for range n {
		fd, err := syscall.Open(os.Args[1], syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		syscall.Close(fd)
	}
	fmt.Println(time.Since(start).Nanoseconds())
}

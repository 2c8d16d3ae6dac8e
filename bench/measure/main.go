// Command measure runs a command and reports its wall time and the peak
// resident set size of the largest process it started, for bench scripts:
//
//	go run ./bench/measure -- sh -c 'nono-verify < log'
//
// It prints one line: wall_s=… user_s=… sys_s=… maxrss_mib=… exit=…
package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: measure -- COMMAND [ARG...]")
		os.Exit(2)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		fmt.Fprintln(os.Stderr, "measure:", err)
		os.Exit(2)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru)
	fmt.Fprintf(os.Stderr, "wall_s=%.3f user_s=%.3f sys_s=%.3f maxrss_mib=%.1f exit=%d\n",
		wall.Seconds(),
		time.Duration(ru.Utime.Nano()).Seconds(),
		time.Duration(ru.Stime.Nano()).Seconds(),
		float64(ru.Maxrss)/1024, code)
	os.Exit(code)
}

package pii

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time the calling OS thread has used. The
// benchmarks report throughput per CPU second as well as per wall second
// because the machines they run on are shared: wall time counts the
// minutes other processes hold the core.
func threadCPU() time.Duration { return rusage(1 /* RUSAGE_THREAD */) }

// processCPU returns the CPU time of the whole process, for what runs on
// several goroutines (MaskStream).
func processCPU() time.Duration { return rusage(syscall.RUSAGE_SELF) }

func rusage(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

//go:build !linux

package pii

import "time"

// threadCPU and processCPU are not measured outside Linux; benchmarks then report wall
// time only.
func threadCPU() time.Duration { return 0 }

func processCPU() time.Duration { return 0 }

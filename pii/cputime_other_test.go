//go:build !linux

package pii

import "time"

// threadCPU is not measured outside Linux; benchmarks then report wall
// time only.
func threadCPU() time.Duration { return 0 }

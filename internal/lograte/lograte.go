// Package lograte keeps a flood of bad input from flooding the log.
package lograte

import (
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"
)

// Limiter logs at most one message a second and counts the rest, which the
// next message it logs reports. The zero value is ready; it is safe for
// concurrent use.
type Limiter struct {
	next       atomic.Int64
	suppressed atomic.Int64
}

// Warn logs msg at warning level unless a message was logged in the last
// second.
func (l *Limiter) Warn(logger *slog.Logger, msg string, args ...any) {
	now := time.Now().UnixNano()
	next := l.next.Load()
	if now < next || !l.next.CompareAndSwap(next, now+int64(time.Second)) {
		l.suppressed.Add(1)
		return
	}
	if n := l.suppressed.Swap(0); n > 0 {
		args = append(args, "suppressed", strconv.FormatInt(n, 10)+" similar messages in the last second")
	}
	logger.Warn(msg, args...)
}

package ingest

import (
	"github.com/jikimi/jikimi/pii"
	"github.com/jikimi/jikimi/record"
)

// CountPII is the PIIHook of package pii: it counts personal information in
// the payload (keeping, per type, the larger of the source's declared count
// and the count found) and masks the detail. The payload itself is dropped
// by Prepare afterwards.
func CountPII(rec *record.Record) {
	if rec.Payload != "" {
		c := pii.CountString(rec.Payload)
		for t, n := range c.Types {
			if n == 0 {
				continue
			}
			if rec.PII == nil {
				rec.PII = map[string]int64{}
			}
			rec.PII[string(t)] = max(rec.PII[string(t)], int64(n))
		}
	}
	if rec.Detail != "" {
		rec.Detail = pii.MaskString(rec.Detail)
	}
}

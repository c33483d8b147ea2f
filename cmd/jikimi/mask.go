package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/jikimi/jikimi/pii"
)

func runMask(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "mask", "[--types T,...] [--min-confidence medium] < IN > OUT")
	types := fs.String("types", "", "comma-separated types to mask, such as rrn,phone (default: every type)")
	minConf := fs.String("min-confidence", "medium", "mask findings at least this sure: low, medium or high")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	mc, ok := pii.ParseConfidence(*minConf)
	if !ok {
		fmt.Fprintf(e.stderr, "jikimi mask: unknown confidence %q\n", *minConf)
		return errUsage
	}
	var set map[pii.Type]bool
	if *types != "" {
		set = map[pii.Type]bool{}
		for _, t := range strings.Split(*types, ",") {
			t = strings.TrimSpace(t)
			known := false
			for _, k := range pii.Types {
				if string(k) == t {
					known = true
				}
			}
			if !known {
				fmt.Fprintf(e.stderr, "jikimi mask: unknown type %q\n", t)
				return errUsage
			}
			set[pii.Type(t)] = true
		}
	}
	w := bufio.NewWriterSize(e.stdout, 256<<10)
	err := pii.MaskStream(w, ctxReader{ctx, e.stdin}, func(f pii.Finding) bool {
		return f.Confidence >= mc && (set == nil || set[f.Type])
	})
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

package pii

import (
	"bytes"
	"errors"
	"io"
)

// Streaming sizes. A finding never spans more than streamOverlap bytes, so
// cutting a chunk that far before its end never splits one; streamContext
// bytes before a cut are kept so that labels still count.
const (
	streamChunk   = 256 << 10
	streamOverlap = 1 << 10
	streamContext = 64
)

// MaskStream copies r to w with every finding for which mask returns true
// masked by Mask, in constant memory. Chunks are cut after a line break
// where possible; a finding that crosses a cut is carried into the next
// chunk whole, so values spanning a read boundary are still masked.
func MaskStream(w io.Writer, r io.Reader, mask func(Finding) bool) error {
	s := NewScanner()
	buf := make([]byte, streamChunk+streamOverlap)
	out := make([]byte, 0, streamChunk+streamOverlap)
	var fs []Finding
	have, emit := 0, 0 // bytes in buf; bytes of buf already written
	eof := false
	for !eof || emit < have {
		if !eof {
			n, err := io.ReadFull(r, buf[have:])
			have += n
			switch {
			case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
				eof = true
			case err != nil:
				return err
			}
		}
		data := buf[:have]
		cut := have
		if !eof {
			if nl := bytes.LastIndexByte(data[emit:], '\n'); nl >= 0 && emit+nl+1 > have-streamChunk/2 {
				cut = emit + nl + 1
			} else {
				cut = have - streamOverlap
			}
		}
		fs = fs[:0]
		s.Scan(data, func(f Finding) { fs = append(fs, f) })
		out = out[:0]
		last := emit
		for _, f := range fs {
			if f.Start < emit || !mask(f) {
				continue
			}
			if f.Start >= cut {
				break
			}
			if f.End > cut {
				if eof {
					cut = have
				} else {
					cut = f.Start
					break
				}
			}
			out = append(out, data[last:f.Start]...)
			out = appendMask(out, f.Type, data[f.Start:f.End])
			last = f.End
		}
		if last < cut {
			out = append(out, data[last:cut]...)
		}
		if _, err := w.Write(out); err != nil {
			return err
		}
		if eof && cut == have {
			return nil
		}
		keep := max(0, cut-streamContext)
		have = copy(buf, data[keep:])
		emit = cut - keep
	}
	return nil
}

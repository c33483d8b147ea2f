package collect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/source"
	"github.com/prometheus/client_golang/prometheus"
)

// readChunk is how much of a file is read at once.
const readChunk = 256 << 10

// goneGrace is how long a file whose path now names another file (it was
// rotated away) or nothing (deleted) is still read: writers such as nginx
// keep writing to the old file until they reopen their log.
const goneGrace = 5 * time.Second

// tailFile is one open file of a source.
type tailFile struct {
	key    string // "device:inode"
	dev    uint64
	ino    uint64
	path   string
	f      *os.File
	pos    position // read position: ahead of the committed one
	parser source.Parser

	pending  []byte // bytes read from pos.Offset on that end no line yet
	skipping bool   // discarding the rest of an overlong line
	changed  bool   // pos moved since the last batch was cut
	gone     time.Time

	// lineNo numbers the lines given to the parser; offsets[i] is the byte
	// offset of line base+i, so that a record's id can name the offset of
	// its first line.
	lineNo  int
	base    int
	offsets []int64
}

// tailer reads the files of one source and cuts batches.
type tailer struct {
	a     *Agent
	src   Source
	files map[string]*tailFile
	drops []string // keys of files read to their end and closed

	batch      *batch
	batchStart time.Time
	seq        uint64

	commit committer

	linesRead, parsed prometheus.Counter // this source's children, looked up once
}

func newTailer(a *Agent, src Source) *tailer {
	t := &tailer{a: a, src: src, files: map[string]*tailFile{},
		linesRead: a.m.linesRead.WithLabelValues(src.Name), parsed: a.m.parsed.WithLabelValues(src.Name)}
	t.commit = committer{t: t, next: 1, done: map[uint64]*batch{}}
	t.newBatch()
	return t
}

func (t *tailer) newBatch() {
	t.batch = &batch{source: t.src.Name, pos: map[string]position{}}
	t.batchStart = time.Now()
}

// run tails until ctx ends, then sends its last batch.
func (t *tailer) run(ctx context.Context) error {
	defer func() {
		for _, f := range t.files {
			f.f.Close()
		}
	}()
	for {
		t.discover()
		progressed, err := t.readAll(ctx)
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return t.cut()
		}
		t.closeGone()
		if t.batch.records > 0 || len(t.batch.pos) > 0 || t.anyChanged() || len(t.drops) > 0 {
			if t.batch.records >= t.a.cfg.BatchSize || time.Since(t.batchStart) >= t.a.cfg.BatchWait || !progressed {
				if err := t.cut(); err != nil {
					return err
				}
			}
		}
		if !progressed {
			select {
			case <-ctx.Done():
				return t.cut()
			case <-time.After(t.a.cfg.Poll):
			}
		}
	}
}

func (t *tailer) anyChanged() bool {
	for _, f := range t.files {
		if f.changed {
			return true
		}
	}
	return false
}

// discover finds the files the globs match now, opens new ones and marks
// tracked ones whose path moved on.
func (t *tailer) discover() {
	seen := map[string]bool{}
	for _, g := range t.src.Paths {
		matches, _ := filepath.Glob(g) // patterns were checked by the config
		for _, p := range matches {
			if compressed(p) {
				continue
			}
			fi, err := os.Stat(p)
			if err != nil || !fi.Mode().IsRegular() {
				continue
			}
			dev, ino := identity(fi)
			key := fmt.Sprintf("%d:%d", dev, ino)
			if seen[key] {
				continue
			}
			seen[key] = true
			if f := t.files[key]; f != nil {
				f.path, f.gone = p, time.Time{}
				continue
			}
			if err := t.open(p, key, dev, ino); err != nil {
				t.a.logger.Warn("cannot open file", "source", t.src.Name, "path", p, "err", err)
				delete(seen, key)
			}
		}
	}
	now := time.Now()
	for key, f := range t.files {
		if !seen[key] && f.gone.IsZero() {
			f.gone = now
		}
	}
	t.a.m.files.WithLabelValues(t.src.Name).Set(float64(len(t.files)))
}

// compressed reports whether a path names a compressed file, which a glob
// such as "app.log*" also matches once logrotate has compressed a rotated
// log: its lines were read before it was compressed.
func compressed(path string) bool {
	for _, ext := range []string{".gz", ".bz2", ".xz", ".zst", ".lz4", ".zip"} {
		if strings.HasSuffix(path, ext) {
			return true
		}
	}
	return false
}

func identity(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), st.Ino
	}
	return 0, 0
}

// open starts tailing a file, where the committed state left it if it is
// the same file.
func (t *tailer) open(path, key string, dev, ino uint64) error {
	fh, err := os.Open(path)
	if err != nil {
		return err
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		return err
	}
	if d, i := identity(fi); d != dev || i != ino {
		fh.Close()
		return errors.New("replaced while opening")
	}
	parser, err := source.New(t.src.Format, t.src.Options)
	if err != nil {
		fh.Close()
		return err
	}
	f := &tailFile{key: key, dev: dev, ino: ino, path: path, f: fh, parser: parser, pos: position{Path: path}, base: 1}
	if p, ok := t.a.committed(t.src.Name, key); ok {
		switch {
		case fi.Size() < p.Offset:
			t.a.logger.Warn("file shorter than where reading stopped: truncated while collect was not running; reading it from the start",
				"source", t.src.Name, "path", path, "size", fi.Size(), "offset", p.Offset)
			f.pos = position{Path: path, Gen: p.Gen + 1}
		case !sameFirstLine(fh, p):
			t.a.logger.Info("file at a known inode has another first line: a new file; reading it from the start", "source", t.src.Name, "path", path)
			f.pos = position{Path: path, Gen: p.Gen + 1}
		default:
			f.pos = p
			f.pos.Path = path
		}
		f.changed = f.pos != p
	}
	t.files[key] = f
	t.a.logger.Info("tailing file", "source", t.src.Name, "path", path, "offset", f.pos.Offset)
	return nil
}

// sameFirstLine reports whether the file still starts with the line whose
// hash p holds.
func sameFirstLine(fh *os.File, p position) bool {
	if p.FirstLen == 0 {
		return true
	}
	b := make([]byte, p.FirstLen)
	if _, err := fh.ReadAt(b, 0); err != nil {
		return false
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8]) == p.First
}

// readAll reads every file to its current end, cutting batches as they
// fill. It reports whether anything was read.
func (t *tailer) readAll(ctx context.Context) (bool, error) {
	progressed := false
	buf := make([]byte, readChunk)
	for _, f := range t.files {
		if err := t.checkTruncated(f); err != nil {
			t.a.logger.Warn("stat", "source", t.src.Name, "path", f.path, "err", err)
			continue
		}
		for ctx.Err() == nil {
			at := f.pos.Offset + int64(len(f.pending))
			n, err := f.f.ReadAt(buf, at)
			if n > 0 {
				progressed = true
				t.a.m.lastSeen.WithLabelValues(t.src.Name).SetToCurrentTime()
				f.pending = append(f.pending, buf[:n]...)
				if err := t.lines(f); err != nil {
					return progressed, err
				}
			}
			if err == io.EOF || n == 0 {
				break
			}
			if err != nil {
				t.a.logger.Warn("read", "source", t.src.Name, "path", f.path, "err", err)
				break
			}
		}
	}
	return progressed, nil
}

// checkTruncated starts a new generation of a file that shrank or whose
// first line changed (copytruncate rotation, or a file rewritten in place).
func (t *tailer) checkTruncated(f *tailFile) error {
	fi, err := f.f.Stat()
	if err != nil {
		return err
	}
	if fi.Size() >= f.pos.Offset+int64(len(f.pending)) && sameFirstLine(f.f, f.pos) {
		return nil
	}
	t.a.logger.Info("file truncated: reading it again from the start", "source", t.src.Name, "path", f.path, "size", fi.Size(), "offset", f.pos.Offset)
	// Records held back belong to the old content (and its ids).
	f.parser.Flush(t.emitter(f))
	f.pos = position{Path: f.path, Gen: f.pos.Gen + 1}
	f.pending, f.skipping, f.changed = f.pending[:0], false, true
	return nil
}

// lines parses the complete lines of f.pending.
func (t *tailer) lines(f *tailFile) error {
	emit := t.emitter(f)
	for {
		i := bytes.IndexByte(f.pending, '\n')
		if i < 0 {
			if len(f.pending) > source.MaxLineBytes+2 {
				t.reject(f, f.pos.Offset, "(line)", "longer than "+strconv.Itoa(source.MaxLineBytes)+" bytes")
				f.pos.Offset += int64(len(f.pending))
				f.pending, f.skipping, f.changed = f.pending[:0], true, true
			}
			return nil
		}
		line := f.pending[:i]
		start := f.pos.Offset
		f.pos.Offset += int64(i + 1)
		f.changed = true
		f.pending = f.pending[i+1:]
		if f.skipping {
			f.skipping = false
			continue
		}
		if start == 0 && f.pos.FirstLen == 0 {
			h := sha256.Sum256(withNewline(line))
			f.pos.First, f.pos.FirstLen = hex.EncodeToString(h[:8]), i+1
			f.pos.ID = fileID(f.dev, f.ino, f.pos.Gen, line)
		}
		t.linesRead.Inc()
		line = bytes.TrimSuffix(line, []byte("\r"))
		f.lineNo++
		f.offsets = append(f.offsets, start)
		if err := f.parser.Line(line, f.lineNo, emit); err != nil {
			var le *source.LineError
			if errors.As(err, &le) {
				t.reject(f, start, le.Field, le.Reason)
			} else {
				t.reject(f, start, "(line)", err.Error())
			}
		}
		if t.batch.records >= t.a.cfg.BatchSize {
			if err := t.cut(); err != nil {
				return err
			}
		}
	}
}

// withNewline returns the first line with its newline, as hashed by sameFirstLine.
func withNewline(line []byte) []byte {
	return append(append([]byte(nil), line...), '\n')
}

// fileID is a file's part of derived record ids.
func fileID(dev, ino uint64, gen int, first []byte) string {
	h := sha256.New()
	var b [24]byte
	binary.BigEndian.PutUint64(b[0:], dev)
	binary.BigEndian.PutUint64(b[8:], ino)
	binary.BigEndian.PutUint64(b[16:], uint64(gen))
	h.Write(b[:])
	h.Write(first)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

func (t *tailer) reject(f *tailFile, offset int64, field, reason string) {
	t.a.m.rejected.WithLabelValues(t.src.Name).Inc()
	t.a.limit.Warn(t.a.logger, "line rejected", "source", t.src.Name, "path", f.path, "offset", offset, "field", field, "reason", reason)
}

// emitter returns the EmitFunc of f's parser: it gives records without an
// id a stable one, "<source>:<file id>:<offset of the first line>", and
// adds them to the batch.
func (t *tailer) emitter(f *tailFile) source.EmitFunc {
	return func(rec *record.Record, lineNo int) {
		if rec.ID == "" {
			off := f.pos.Offset
			if i := lineNo - f.base; i >= 0 && i < len(f.offsets) {
				off = f.offsets[i]
			}
			rec.ID = t.src.Name + ":" + f.pos.ID + ":" + strconv.FormatInt(off, 10)
		}
		t.parsed.Inc()
		t.batch.raw = rec.AppendCanonical(t.batch.raw)
		t.batch.raw = append(t.batch.raw, '\n')
		t.batch.records++
	}
}

// closeGone reads the last, unterminated line of files rotated away more
// than goneGrace ago, closes them and drops their positions.
func (t *tailer) closeGone() {
	for key, f := range t.files {
		if f.gone.IsZero() || time.Since(f.gone) < goneGrace {
			continue
		}
		if len(f.pending) > 0 && !f.skipping {
			f.pending = append(f.pending, '\n') // the last line lacked its newline
			t.lines(f)
		}
		f.parser.Flush(t.emitter(f))
		f.f.Close()
		delete(t.files, key)
		t.drops = append(t.drops, key)
		t.a.logger.Info("finished rotated file", "source", t.src.Name, "path", f.path, "offset", f.pos.Offset)
	}
}

// cut ends the current batch: parsers emit what they hold back (so that
// no record spans two batches' positions), the positions of changed files
// are attached and the batch is handed to the senders.
func (t *tailer) cut() error {
	for _, f := range t.files {
		f.parser.Flush(t.emitter(f))
	}
	for _, f := range t.files {
		if f.changed {
			t.batch.pos[f.key] = f.pos
			f.changed = false
		}
		f.base = f.lineNo + 1
		f.offsets = f.offsets[:0]
	}
	for _, k := range t.drops {
		t.batch.pos[k] = position{Drop: true}
	}
	t.drops = t.drops[:0]
	if t.batch.records == 0 && len(t.batch.pos) == 0 {
		return nil
	}
	t.seq++
	t.batch.seq = t.seq
	t.batch.t = t
	b := t.batch
	t.newBatch()
	return t.a.send(b)
}

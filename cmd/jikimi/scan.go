package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"

	"github.com/jikimi/jikimi/pii"
)

// Scan limits.
const (
	scanBuffer      = 1 << 20   // read buffer; lines are usually far shorter
	scanMaxLine     = 64 << 20  // longer lines are scanned in pieces
	scanProgressGap = 256 << 20 // progress is printed this often on a terminal
)

// scanFinding is one line of `jikimi scan --json`.
type scanFinding struct {
	File       string `json:"file"`
	Line       int    `json:"line"`
	Start      int64  `json:"start"`
	End        int64  `json:"end"`
	Type       string `json:"type"`
	Confidence string `json:"confidence"`
	Masked     string `json:"masked"`
}

type typeTotal struct {
	Findings int `json:"findings"`
	Distinct int `json:"distinct"`
}

type scanSummary struct {
	Files    int                  `json:"files"`
	Bytes    int64                `json:"bytes"`
	Findings int                  `json:"findings"`
	Subjects int                  `json:"subjects"`
	Types    map[string]typeTotal `json:"types"`
}

// scanState accumulates findings over all files.
type scanState struct {
	e       *env
	json    bool
	min     pii.Confidence
	format  pii.Format
	s       *pii.Scanner
	sum     scanSummary
	seen    map[[2]uint64]struct{}
	enc     *json.Encoder
	out     *bufio.Writer
	perType map[pii.Type]*typeTotal
}

func runScan(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "scan", "[--json] [--format auto|text|csv|tsv|jsonl] [--min-confidence low|medium|high] FILE... ('-' for stdin)")
	jsonOut := fs.Bool("json", false, "print one JSON object per finding, then a summary object")
	format := fs.String("format", "auto", "input format: auto, text, csv, tsv or jsonl")
	minConf := fs.String("min-confidence", "medium", "report findings at least this sure: low, medium or high")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	f, ok := pii.ParseFormat(*format)
	if !ok {
		fmt.Fprintf(e.stderr, "jikimi scan: unknown format %q\n", *format)
		return errUsage
	}
	mc, ok := pii.ParseConfidence(*minConf)
	if !ok {
		fmt.Fprintf(e.stderr, "jikimi scan: unknown confidence %q\n", *minConf)
		return errUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	out := bufio.NewWriterSize(e.stdout, 64<<10)
	st := &scanState{
		e: e, json: *jsonOut, min: mc, format: f, s: pii.NewScanner(),
		seen: map[[2]uint64]struct{}{}, out: out, enc: json.NewEncoder(out),
		perType: map[pii.Type]*typeTotal{},
	}
	st.enc.SetEscapeHTML(false)
	for _, name := range fs.Args() {
		if err := st.file(ctx, name); err != nil {
			out.Flush()
			return err
		}
	}
	st.sum.Types = map[string]typeTotal{}
	for t, v := range st.perType {
		st.sum.Types[string(t)] = *v
	}
	if st.json {
		if err := st.enc.Encode(map[string]scanSummary{"summary": st.sum}); err != nil {
			return err
		}
	} else {
		st.table()
	}
	return out.Flush()
}

func (st *scanState) file(ctx context.Context, name string) error {
	var r io.Reader
	var size int64 = -1
	if name == "-" {
		r = st.e.stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("open: %w", err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			size = fi.Size()
		}
		r = f
	}
	st.sum.Files++
	progress := st.progressFunc(name, size)
	br := bufio.NewReaderSize(r, scanBuffer)
	format := st.format
	if format == pii.FormatAuto {
		head, _ := br.Peek(4096)
		format = pii.DetectFormat(head)
	}
	var table *pii.Table
	if format != pii.FormatText {
		table = pii.NewTable(st.s, format)
	}
	var (
		off    int64
		lineNo int
		long   []byte
		rows   []bool
	)
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) && len(long)+len(chunk) < scanMaxLine {
			long = append(long, chunk...)
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return fmt.Errorf("read %s: %w", name, err)
		}
		line := chunk
		if len(long) > 0 {
			long = append(long, chunk...)
			line = long
		}
		if len(line) > 0 {
			lineNo++
			body := line
			if body[len(body)-1] == '\n' {
				body = body[:len(body)-1]
			}
			rows = rows[:0]
			report := func(f pii.Finding, row int) {
				if st.report(name, lineNo, off, body, f) {
					for len(rows) <= row {
						rows = append(rows, false)
					}
					rows[row] = true
				}
			}
			if table != nil {
				table.Record(body, report)
			} else {
				st.s.Scan(body, func(f pii.Finding) { report(f, 0) })
			}
			for _, r := range rows {
				if r {
					st.sum.Subjects++
				}
			}
			off += int64(len(line))
			st.sum.Bytes += int64(len(line))
			progress(off)
		}
		long = long[:0]
		if errors.Is(err, io.EOF) {
			break
		}
		if lineNo%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	progress(-1)
	return nil
}

// report records one finding and prints it; it returns whether the
// finding identifies a data subject.
func (st *scanState) report(file string, line int, off int64, body []byte, f pii.Finding) bool {
	if f.Confidence < st.min {
		return false
	}
	v := body[f.Start:f.End]
	st.sum.Findings++
	tt := st.perType[f.Type]
	if tt == nil {
		tt = &typeTotal{}
		st.perType[f.Type] = tt
	}
	tt.Findings++
	k := [2]uint64{uint64(typeIndex(f.Type)), pii.Fingerprint(f.Type, v)}
	if _, ok := st.seen[k]; !ok {
		st.seen[k] = struct{}{}
		tt.Distinct++
	}
	masked := string(pii.Mask(f.Type, v))
	if st.json {
		st.enc.Encode(scanFinding{
			File: file, Line: line, Start: off + int64(f.Start), End: off + int64(f.End),
			Type: string(f.Type), Confidence: f.Confidence.String(), Masked: masked,
		})
	} else {
		fmt.Fprintf(st.out, "%s:%d:%d\t%s(%s)\t%s\t%s\n", file, line, f.Start+1,
			f.Type, f.Type.Korean(), f.Confidence, masked)
	}
	return f.Type.Identifying()
}

func (st *scanState) table() {
	fmt.Fprintln(st.out)
	tw := tabwriter.NewWriter(st.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "유형\t이름\t건수\t고유값")
	for _, t := range pii.Types {
		if v := st.perType[t]; v != nil {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", t, t.Korean(), v.Findings, v.Distinct)
		}
	}
	tw.Flush()
	fmt.Fprintf(st.out, "\n파일 %d개, %d바이트, 발견 %d건, 정보주체(행) %d\n",
		st.sum.Files, st.sum.Bytes, st.sum.Findings, st.sum.Subjects)
}

// progressFunc prints progress for large inputs when stderr is a terminal.
// Calling it with -1 ends the progress line.
func (st *scanState) progressFunc(name string, size int64) func(int64) {
	f, ok := st.e.stderr.(*os.File)
	if !ok {
		return func(int64) {}
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return func(int64) {}
	}
	next := int64(scanProgressGap)
	shown := false
	return func(n int64) {
		if n < 0 {
			if shown {
				fmt.Fprintln(f)
			}
			return
		}
		if n < next {
			return
		}
		next = n + scanProgressGap
		shown = true
		if size > 0 {
			fmt.Fprintf(f, "\r%s: %d MB / %d MB (%d%%)", name, n>>20, size>>20, n*100/size)
		} else {
			fmt.Fprintf(f, "\r%s: %d MB", name, n>>20)
		}
	}
}

func typeIndex(t pii.Type) int {
	for i, k := range pii.Types {
		if k == t {
			return i
		}
	}
	return -1
}

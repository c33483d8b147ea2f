package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jikimi/jikimi/ledger"
	"github.com/jikimi/jikimi/report"
	"github.com/jikimi/jikimi/store"
)

// verifyResult is what `jikimi verify --json` prints.
type verifyResult struct {
	OK       bool             `json:"ok"`
	Records  int64            `json:"records"`
	Periods  []*ledger.Report `json:"periods"`
	Findings []ledger.Finding `json:"findings"`
	Seconds  float64          `json:"seconds"`
}

func runVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "verify", "[--json] [--index] [--key PUBLIC_KEY]...")
	data := dataFlag(fs)
	anchor := anchorFlag(fs)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	index := fs.Bool("index", false, "also check that the search index agrees with the sealed records, so that no search, count or review report misses one (slower)")
	var keys stringList
	fs.Var(&keys, "key", "trusted public key (note verifier string, as printed by 'jikimi key list'); repeatable. Default: the anchored keys")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	start := time.Now()
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	lo, err := ledgerOptions(a.dataDir, *anchor, true)
	if err != nil {
		return err
	}
	l, err := ledger.Open(ctx, lo)
	if err != nil {
		return err
	}
	defer l.Close()
	res, err := verifyAll(ctx, e, a, l, ledger.VerifyOptions{TrustedKeys: keys}, store.ScanOptions{Index: *index}, *asJSON)
	if err != nil {
		return err
	}
	res.Seconds = time.Since(start).Seconds()
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		w := bufio.NewWriter(e.stdout)
		for _, p := range res.Periods {
			fmt.Fprintf(w, "%s: %d records, checkpoint size %d, %d anchored checkpoints", p.Period, p.Records, p.CheckpointSize, p.Anchored)
			if p.Retained > 0 {
				fmt.Fprintf(w, ", %d deleted by retention", p.Retained)
			}
			if p.Resealed > 0 {
				fmt.Fprintf(w, ", %d sealed a second time after a crash", p.Resealed)
			}
			fmt.Fprintln(w)
		}
		for _, f := range res.Findings {
			fmt.Fprintln(w, "FAIL", f.String())
		}
		if res.OK {
			fmt.Fprintf(w, "OK: %d records in %d periods verified (%.1fs)\n", res.Records, len(res.Periods), res.Seconds)
		}
		w.Flush()
	}
	if !res.OK {
		return &exitError{code: 1, err: fmt.Errorf("%d problem(s) found: the access records or their log were altered", len(res.Findings))}
	}
	return nil
}

// kindUnreadable is the finding for stored records the store cannot read
// back (their block or frame fails to decode): storage was damaged or
// edited below the record level.
const kindUnreadable = "unreadable"

// kindMisindexed is the finding for a search index that disagrees with the
// sealed records: the records are intact, but searches, counts or review
// reports may miss them.
const kindMisindexed = "misindexed"

// verifyAll walks every stored record in seal order, feeding each period's
// verifier, then finishes every period the store or the ledger knows.
func verifyAll(ctx context.Context, e *env, a *app, l *ledger.Ledger, vo ledger.VerifyOptions, so store.ScanOptions, quiet bool) (*verifyResult, error) {
	verifiers := map[string]*ledger.PeriodVerifier{}
	verifier := func(period string) (*ledger.PeriodVerifier, error) {
		if v, ok := verifiers[period]; ok {
			return v, nil
		}
		v, err := l.NewVerifierWith(ctx, period, vo)
		if err != nil {
			return nil, fmt.Errorf("verify period %s: %w", period, err)
		}
		verifiers[period] = v
		return v, nil
	}
	// Every period the ledger knows is verified even when the store holds
	// none of its records: deleting a whole month must not go unnoticed.
	periods, err := l.Periods()
	if err != nil {
		return nil, err
	}
	for _, p := range periods {
		if _, err := verifier(p); err != nil {
			return nil, err
		}
	}
	prog := newProgress(e, quiet)
	defer prog.stop()
	type key struct {
		batch  int64
		period string
	}
	var (
		cacheKey key
		cache    []ledger.Position
		res      verifyResult
	)
	// positions returns the seal positions of a record's batch and period
	// (nil when never sealed: reported as invented below).
	positions := func(ref store.SealRef) ([]ledger.Position, error) {
		if k := (key{ref.Batch, ref.Period}); k != cacheKey {
			cacheKey = k
			raw, err := a.store.SealPositions(ctx, k.batch, k.period)
			if err != nil {
				cache = nil
			} else if cache, err = decodePositions(k.period, raw); err != nil {
				return nil, fmt.Errorf("batch %d: %w", k.batch, err)
			}
		}
		return cache, nil
	}
	for r, err := range a.store.Scan(ctx, so) {
		if errors.Is(err, store.ErrMisindexed) {
			res.Findings = append(res.Findings, ledger.Finding{Kind: kindMisindexed, Period: r.Seal.Period, RecordID: r.ID, Slot: -1, Detail: err.Error()})
			if r.ID == "" {
				continue // the term index's, after every record
			}
			err = nil // the record itself is intact: verify its seal
		}
		unreadable := errors.Is(err, store.ErrUnreadable)
		if err != nil && !unreadable {
			return nil, err
		}
		if !unreadable {
			res.Records++
			if res.Records%100000 == 0 {
				prog.add(100000)
			}
		}
		if unreadable {
			// The store names what it could not read; the ledger then names
			// each sealed slot left without its record.
			res.Findings = append(res.Findings, ledger.Finding{Kind: kindUnreadable, Period: r.Seal.Period, RecordID: r.ID, Slot: -1, Detail: err.Error()})
			if r.ID == "" || r.Seal.Period == "" {
				continue
			}
		}
		v, err2 := verifier(r.Seal.Period)
		if err2 != nil {
			return nil, err2
		}
		pos, err2 := positions(r.Seal)
		if err2 != nil {
			return nil, err2
		}
		sealed := r.Seal.Ord < len(pos)
		switch {
		case unreadable:
			if sealed {
				v.Missing(r.ID, pos[r.Seal.Ord])
			}
		case r.Deleted && sealed:
			v.Deleted(r.ID, pos[r.Seal.Ord], r.Hash)
		case !sealed:
			v.Unsealed(r.ID, r.Hash)
		default:
			v.Add(r.ID, pos[r.Seal.Ord], r.Hash)
		}
	}
	names := make([]string, 0, len(verifiers))
	for p := range verifiers {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		rep, err := verifiers[p].Finish()
		if err != nil {
			return nil, fmt.Errorf("verify period %s: %w", p, err)
		}
		res.Periods = append(res.Periods, rep)
		res.Findings = append(res.Findings, rep.Findings...)
	}
	res.OK = len(res.Findings) == 0
	if res.Findings == nil {
		res.Findings = []ledger.Finding{}
	}
	return &res, nil
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func runProof(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "proof", "RECORD_ID [--out FILE]")
	data := dataFlag(fs)
	anchor := anchorFlag(fs)
	out := fs.String("out", "", "write the bundle here instead of stdout")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := a.store.Record(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	raw, err := a.store.SealPositions(ctx, r.Seal.Batch, r.Seal.Period)
	if err != nil {
		return fmt.Errorf("record %s is not sealed yet: %w", r.ID, err)
	}
	pos, err := decodePositions(r.Seal.Period, raw)
	if err != nil || r.Seal.Ord >= len(pos) {
		return fmt.Errorf("record %s: no seal position stored", r.ID)
	}
	lo, err := ledgerOptions(a.dataDir, *anchor, true)
	if err != nil {
		return err
	}
	l, err := ledger.Open(ctx, lo)
	if err != nil {
		return err
	}
	defer l.Close()
	b, err := l.Proof(ctx, pos[r.Seal.Ord], r.Canonical)
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return err
	}
	js = append(js, '\n')
	if *out == "" {
		_, err = e.stdout.Write(js)
		return err
	}
	return os.WriteFile(*out, js, 0o644)
}

func runVerifyProof(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "verify-proof", "--key PUBLIC_KEY BUNDLE")
	var keys stringList
	fs.Var(&keys, "key", "the log's public key (note verifier string); repeatable, or a file holding one key a line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || len(keys) == 0 {
		fs.Usage()
		return errUsage
	}
	var pubs []string
	for _, k := range keys {
		if b, err := os.ReadFile(k); err == nil {
			pubs = append(pubs, strings.Fields(string(b))...)
		} else {
			pubs = append(pubs, k)
		}
	}
	bundle, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	if err := ledger.VerifyBundle(bundle, pubs); err != nil {
		return &exitError{code: 1, err: fmt.Errorf("proof does NOT hold: %w", err)}
	}
	var b ledger.Bundle
	json.Unmarshal(bundle, &b)
	fmt.Fprintf(e.stdout, "OK: record (sha256 %s) is in log %s at leaf %d of %d, under a checkpoint signed by a trusted key\n", b.RecordHash, b.Origin, b.Leaf, b.TreeSize)
	return nil
}

func runKey(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "rotate") {
		fmt.Fprintln(e.stderr, "Usage: jikimi key list|rotate [--data DIR]\n\n  list    print every public key the ledger has used (give these to auditors)\n  rotate  create a new signing key; the old one co-signs during the overlap")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := newFlags(e, "key "+args[0], "")
	data := dataFlag(fs)
	anchor := anchorFlag(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	lo, err := ledgerOptions(*data, *anchor, args[0] == "list")
	if err != nil {
		return err
	}
	l, err := ledger.Open(ctx, lo)
	if err != nil {
		return err
	}
	defer l.Close()
	if args[0] == "rotate" {
		if err := l.RotateKey(); err != nil {
			return err
		}
		fmt.Fprintln(e.stderr, "rotated: the new key signs from now on; the previous one co-signs during the overlap")
	}
	for _, k := range l.PublicKeys() {
		fmt.Fprintln(e.stdout, k)
	}
	return nil
}

// ledgerIntegrity gives the review report the result of a full
// verification and the latest checkpoint.
type ledgerIntegrity struct {
	a *app
	e *env
}

var _ report.Integrity = ledgerIntegrity{}

func (li ledgerIntegrity) Summary(ctx context.Context) (ok bool, checkpoint string, err error) {
	lo, err := ledgerOptions(li.a.dataDir, li.a.anchorDir, true)
	if err != nil {
		return false, "", err
	}
	l, err := ledger.Open(ctx, lo)
	if err != nil {
		return false, "", err
	}
	defer l.Close()
	res, err := verifyAll(ctx, li.e, li.a, l, ledger.VerifyOptions{}, store.ScanOptions{Index: true}, true)
	if err != nil {
		return false, "", err
	}
	periods, err := l.Periods()
	if err != nil || len(periods) == 0 {
		return res.OK, "", err
	}
	latest := periods[len(periods)-1]
	signed, size, _, err := l.Checkpoint(ctx, latest)
	if err != nil {
		return res.OK, "", err
	}
	first, _, _ := strings.Cut(string(signed), "\n")
	return res.OK, fmt.Sprintf("%s (%s, %d leaves, %d records verified)", first, latest, size, res.Records), nil
}

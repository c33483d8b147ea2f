package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/ingest"
	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/store/sqlite"
)

// Retention periods. 개인정보의 안전성 확보조치 기준 제8조 ① keeps access
// records at least one year, two years for systems of 50,000 or more data
// subjects or with unique identifying or sensitive information; records of
// granting, changing and revoking access rights are kept three years
// (제5조 ③). A system the directory gives no retention keeps two years.
const (
	defaultRetention    = 2 * 365 * 24 * time.Hour
	permissionRetention = 3 * 365 * 24 * time.Hour
)

func runRetention(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "apply" {
		fmt.Fprintln(e.stderr, "Usage: jikimi retention apply [--dry-run] [--now T]\n\nDeletes records past their system's retention (the directory's \"retention\", default 2y;\ngrant/revoke records 3y), except what a legal hold covers. Leaves a tombstone per record\nand never touches the ledger, so verification still proves the log whole.")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := newFlags(e, "retention apply", "[--dry-run] [--now T]")
	data := dataFlag(fs)
	anchor := anchorFlag(fs)
	dry := fs.Bool("dry-run", false, "count what would be deleted, delete nothing")
	nowArg := fs.String("now", "", "take this as the current time (RFC 3339), for replays")
	actor := fs.String("actor", "jikimi-retention", "account recorded as having deleted the records")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	now := time.Now()
	if *nowArg != "" {
		t, err := parseTimeArg(*nowArg)
		if err != nil {
			return fmt.Errorf("now: %w", err)
		}
		now = t
	}
	a, err := openApp(ctx, e, *data, appOptions{withPipeline: !*dry, anchorDir: *anchor})
	if err != nil {
		return err
	}
	defer a.Close()
	holds, err := activeHolds(ctx, a.store)
	if err != nil {
		return err
	}
	systems := a.store.Systems()
	slices.Sort(systems)
	total := 0
	for _, sys := range systems {
		keep := defaultRetention
		if s := a.dir.System(sys); s != nil && s.Retention != "" {
			if keep, err = directory.ParseDuration(s.Retention); err != nil {
				return fmt.Errorf("system %s retention: %w", sys, err)
			}
		}
		n, held, err := applyRetention(ctx, a.store, sys, now.Add(-keep), now.Add(-max(keep, permissionRetention)), holds, *dry, now)
		if err != nil {
			return err
		}
		if n == 0 && held == 0 {
			continue
		}
		total += n
		verb := "deleted"
		if *dry {
			verb = "would delete"
		}
		fmt.Fprintf(e.stdout, "%s: %s %d records older than %s (retention %s); %d kept under legal hold\n",
			sys, verb, n, now.Add(-keep).In(kst).Format("2006-01-02"), fmt.Sprintf("%dd", int(keep.Hours()/24)), held)
		if n > 0 && !*dry {
			if err := auditRetention(ctx, a, *actor, sys, n, now.Add(-keep), now); err != nil {
				return err
			}
		}
	}
	if total == 0 {
		fmt.Fprintln(e.stdout, "nothing is past its retention")
	}
	return nil
}

// activeHolds returns the holds retention must respect: those placed by
// hand and those of open incidents.
func activeHolds(ctx context.Context, db *sqlite.DB) ([]breach.Hold, error) {
	manual, err := db.LegalHolds(ctx)
	if err != nil {
		return nil, err
	}
	var out []breach.Hold
	for _, h := range manual {
		if h.RemovedAt.IsZero() {
			out = append(out, h.Hold())
		}
	}
	incident, err := db.Holds(ctx)
	if err != nil {
		return nil, err
	}
	return append(out, incident...), nil
}

// applyRetention deletes the records of one system older than cutoff
// (permCutoff for grant and revoke records) that no hold covers.
func applyRetention(ctx context.Context, db *sqlite.DB, system string, cutoff, permCutoff time.Time, holds []breach.Hold, dry bool, now time.Time) (deleted, held int, err error) {
	var after int64
	for {
		page, err := db.RecordsBefore(ctx, system, cutoff, after, 2000)
		if err != nil || len(page) == 0 {
			return deleted, held, err
		}
		after = page[len(page)-1].Seq
		var doomed []store.Stored
		for _, r := range page {
			if (r.Action == string(record.Grant) || r.Action == string(record.Revoke)) && !r.Time.Before(permCutoff) {
				continue
			}
			if slices.ContainsFunc(holds, func(h breach.Hold) bool { return breach.Covered(h, r) }) {
				held++
				continue
			}
			doomed = append(doomed, r)
		}
		deleted += len(doomed)
		if !dry && len(doomed) > 0 {
			if err := db.DeleteRecords(ctx, doomed, "retention", now); err != nil {
				return deleted, held, err
			}
		}
	}
}

// auditRetention records the deletion as an access record of jikimi itself,
// sealed like any other.
func auditRetention(ctx context.Context, a *app, actor, system string, n int, before, now time.Time) error {
	rec := &record.Record{
		Time:   now,
		System: "jikimi",
		Actor:  record.Actor{ID: actor, Type: "service"},
		Action: record.Delete,
		Target: record.Target{Object: "records/" + system, Kind: "table"},
		Detail: fmt.Sprintf("retention: deleted %d records of system %s older than %s", n, system, before.Format(time.RFC3339)),
		Result: record.Result{Rows: record.Int64(int64(n))},
		Attrs:  map[string]string{"retention.system": system, "retention.before": before.Format(time.RFC3339)},
	}
	return submitOne(ctx, a, rec)
}

// submitOne stores one of jikimi's own records through the pipeline.
func submitOne(ctx context.Context, a *app, rec *record.Record) error {
	x, err := a.pipe.NewPreparer().Prepare(rec)
	if err != nil {
		return err
	}
	_, err = a.pipe.Submit(ctx, []*ingest.Prepared{x})
	return err
}

func runHold(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || !slices.Contains([]string{"add", "remove", "list"}, args[0]) {
		fmt.Fprintln(e.stderr, "Usage: jikimi hold add --reason R [--system S] [--actor A] [--ip IP] [--from T] [--to T]\n       jikimi hold remove ID\n       jikimi hold list\n\nA legal hold makes retention keep every record it covers.")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := newFlags(e, "hold "+args[0], "")
	data := dataFlag(fs)
	var f recordFilter
	reason := fs.String("reason", "", "why the records must be kept (preservation order, investigation …)")
	by := fs.String("by", "", "who places or lifts the hold")
	if args[0] == "add" {
		fs.StringVar(&f.system, "system", "", "system")
		fs.StringVar(&f.actor, "actor", "", "account id")
		fs.StringVar(&f.ip, "ip", "", "origin address")
		fs.StringVar(&f.from, "from", "", "from this time (inclusive)")
		fs.StringVar(&f.to, "to", "", "until this time (exclusive)")
	}
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	switch args[0] {
	case "add":
		if *reason == "" {
			return fmt.Errorf("--reason is required: a hold must say why")
		}
		q, err := f.query(a.keyer)
		if err != nil {
			return err
		}
		h := sqlite.LegalHold{Scope: breach.Scope{System: q.System, Actor: q.Actor, IP: q.IP, From: q.From, To: q.To},
			Reason: *reason, PlacedBy: *by, PlacedAt: time.Now()}
		if h.Scope.Empty() {
			return fmt.Errorf("a hold needs a scope: --system, --actor, --ip, --from or --to")
		}
		id, err := a.store.AddLegalHold(ctx, h)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "legal hold %d placed\n", id)
	case "remove":
		if fs.NArg() != 1 {
			return errUsage
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if err != nil {
			return fmt.Errorf("hold id %q: %w", fs.Arg(0), err)
		}
		if err := a.store.RemoveLegalHold(ctx, id, time.Now()); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "legal hold %d lifted\n", id)
	case "list":
		holds, err := a.store.LegalHolds(ctx)
		if err != nil {
			return err
		}
		incident, err := a.store.Holds(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tPLACED\tSCOPE\tREASON")
		for _, h := range holds {
			state := "active"
			if !h.RemovedAt.IsZero() {
				state = "lifted " + h.RemovedAt.In(kst).Format("2006-01-02")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", h.ID, state, h.PlacedAt.In(kst).Format("2006-01-02 15:04"), scopeText(h.Scope), h.Reason)
		}
		for _, h := range incident {
			fmt.Fprintf(tw, "incident %d\tactive\t%s\t%s\t%s\n", h.Incident, h.PlacedAt.In(kst).Format("2006-01-02 15:04"), scopeText(h.Scope), "incident")
		}
		return tw.Flush()
	}
	return nil
}

// scopeText describes a hold's scope in one line.
func scopeText(s breach.Scope) string {
	b, _ := json.Marshal(s)
	return string(b)
}

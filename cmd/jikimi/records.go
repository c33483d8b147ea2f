package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/subject"
)

// recordFilter holds the search flags shared by `jikimi records`, the API
// and the console.
type recordFilter struct {
	actor, system, action, ip, subject, from, to string
	limit                                        int
}

func (f *recordFilter) register(fs *flag.FlagSet) {
	fs.StringVar(&f.actor, "actor", "", "account id")
	fs.StringVar(&f.system, "system", "", "system")
	fs.StringVar(&f.action, "action", "", "action (view, export, …)")
	fs.StringVar(&f.ip, "ip", "", "origin address")
	fs.StringVar(&f.subject, "subject", "", "data-subject identifier (looked up by its pseudonym)")
	fs.StringVar(&f.from, "from", "", "from this time (RFC 3339 or YYYY-MM-DD, inclusive)")
	fs.StringVar(&f.to, "to", "", "until this time (RFC 3339 or YYYY-MM-DD, exclusive)")
	fs.IntVar(&f.limit, "limit", 100, "at most this many records (0: all)")
}

// fromValues reads the filter from URL query parameters of the same names.
func (f *recordFilter) fromValues(v url.Values) error {
	f.actor, f.system, f.action, f.ip = v.Get("actor"), v.Get("system"), v.Get("action"), v.Get("ip")
	f.subject, f.from, f.to = v.Get("subject"), v.Get("from"), v.Get("to")
	f.limit = 100
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return fmt.Errorf("limit: %q is not a count", s)
		}
		f.limit = n
	}
	return nil
}

// query turns the filter into a store query; the subject identifier is
// turned into its pseudonym here, so it never reaches the store.
func (f *recordFilter) query(k *subject.Keyer) (store.Query, error) {
	q := store.Query{Actor: f.actor, System: f.system, Action: f.action, IP: f.ip, Limit: f.limit}
	if f.action != "" && !record.ValidAction(f.action) {
		return q, fmt.Errorf("action: %q is not an action of the schema", f.action)
	}
	var err error
	if q.From, err = parseTimeArg(f.from); err != nil {
		return q, fmt.Errorf("from: %w", err)
	}
	if q.To, err = parseTimeArg(f.to); err != nil {
		return q, fmt.Errorf("to: %w", err)
	}
	if f.subject != "" {
		p := k.Of(f.subject)
		q.Subject = &p
	}
	return q, nil
}

// parseTimeArg reads RFC 3339 or a date (midnight in Korea time).
func parseTimeArg(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", s, kst)
	if err != nil {
		return t, fmt.Errorf("%q is neither RFC 3339 nor YYYY-MM-DD", s)
	}
	return t, nil
}

func runRecords(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "records", "[filters] [--json | --count]")
	data := dataFlag(fs)
	var f recordFilter
	f.register(fs)
	asJSON := fs.Bool("json", false, "print one canonical record per line")
	count := fs.Bool("count", false, "print only the number of matching records")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	q, err := f.query(a.keyer)
	if err != nil {
		return err
	}
	if *count {
		n, err := a.store.Count(ctx, q)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, n)
		return nil
	}
	recs, err := a.store.Records(ctx, q)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	if *asJSON {
		for _, r := range recs {
			out.Write(r.Canonical)
			out.WriteByte('\n')
		}
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tSYSTEM\tACTOR\tACTION\tORIGIN\tTARGET\tROWS\tSUBJECTS\tDETAIL")
	for _, s := range recs {
		r, err := record.Parse(s.Canonical)
		if err != nil {
			return fmt.Errorf("stored record %s: %w", s.ID, err)
		}
		rows := "-"
		if r.Result.Rows != nil {
			rows = strconv.FormatInt(*r.Result.Rows, 10)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n",
			r.Time.In(kst).Format("2006-01-02 15:04:05"), r.System, r.Actor.ID, r.Action,
			r.Origin.IP, r.Target.Object, rows, r.SubjectTotal(), clip(r.Detail, 60))
	}
	return tw.Flush()
}

// clip shortens s to n runes for a table cell.
func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

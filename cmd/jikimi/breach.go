package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jikimi/jikimi/breach"
	"github.com/jikimi/jikimi/ingest"
	"github.com/jikimi/jikimi/internal/fsutil"
	"github.com/jikimi/jikimi/record"
)

// breachCommands are the subcommands of `jikimi breach`.
var breachCommands = []struct {
	name, summary string
	run           func(ctx context.Context, e *env, args []string) error
}{
	{"impact", "records and data subjects a scope involves, by system, type and day", runBreachImpact},
	{"open", "open an incident: its duties, deadlines and legal hold", runBreachOpen},
	{"list", "list incidents with their next deadline", runBreachList},
	{"show", "an incident's duties, deadlines and countdown", runBreachShow},
	{"done", "record that a duty of an incident was done", runBreachDone},
	{"notify", "re-identify the affected subjects into a CSV for the notification system", runBreachNotify},
	{"notice", "draft the Korean notice to data subjects or the report to the regulator", runBreachNotice},
}

func runBreach(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		for _, c := range breachCommands {
			if c.name == args[0] {
				return c.run(ctx, e, args[1:])
			}
		}
	}
	w := e.stderr
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		w = e.stdout
	}
	fmt.Fprintln(w, "Usage: jikimi breach SUBCOMMAND [flags]\n\nSubcommands:")
	for _, c := range breachCommands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	if w == e.stdout {
		return nil
	}
	if len(args) > 0 {
		return fmt.Errorf("unknown subcommand %q", args[0])
	}
	return errUsage
}

// scopeFlags are the flags that say which records a breach involves.
type scopeFlags struct {
	actor, ip, keyID, device, session, system, from, to, alert string
	declared                                                   declaredFlag
	includeFailed                                              bool
}

func (f *scopeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.actor, "actor", "", "account id")
	fs.StringVar(&f.ip, "ip", "", "origin address")
	fs.StringVar(&f.keyID, "key-id", "", "id of the key that signed the token or credential (auth.key_id)")
	fs.StringVar(&f.device, "device", "", "device id (origin.device)")
	fs.StringVar(&f.session, "session", "", "session id (auth.session)")
	fs.StringVar(&f.system, "system", "", "system")
	fs.StringVar(&f.from, "from", "", "from this time (RFC 3339 or YYYY-MM-DD, inclusive)")
	fs.StringVar(&f.to, "to", "", "until this time (RFC 3339 or YYYY-MM-DD, exclusive)")
	fs.StringVar(&f.alert, "alert", "", "the evidence records of this alert id")
	fs.Var(&f.declared, "declared", "types of personal information a system holds, as SYSTEM=TYPE,TYPE (repeatable)")
	fs.BoolVar(&f.includeFailed, "include-failed", false, "count subjects of denied and failed accesses too")
}

func (f *scopeFlags) scope() (breach.Scope, error) {
	s := breach.Scope{Actor: f.actor, IP: f.ip, KeyID: f.keyID, Device: f.device, Session: f.session, System: f.system, Alert: f.alert}
	var err error
	if s.From, err = parseTimeArg(f.from); err != nil {
		return s, fmt.Errorf("from: %w", err)
	}
	if s.To, err = parseTimeArg(f.to); err != nil {
		return s, fmt.Errorf("to: %w", err)
	}
	return s, nil
}

// options returns the impact options: the flags' declared contents and the
// directory's system names.
func (f *scopeFlags) options(a *app) *breach.Options {
	o := &breach.Options{Declared: f.declared.m, Names: map[string]string{}, Location: kst, IncludeFailed: f.includeFailed}
	for _, s := range a.dir.Systems() {
		o.Names[s.ID] = s.Name
	}
	return o
}

// declaredFlag collects --declared SYSTEM=TYPE,TYPE.
type declaredFlag struct{ m map[string][]string }

func (d *declaredFlag) String() string { return "" }

func (d *declaredFlag) Set(v string) error {
	sys, types, ok := strings.Cut(v, "=")
	if !ok || sys == "" || types == "" {
		return fmt.Errorf("%q: want SYSTEM=TYPE,TYPE", v)
	}
	if d.m == nil {
		d.m = map[string][]string{}
	}
	for _, t := range strings.Split(types, ",") {
		if t = strings.TrimSpace(t); t != "" {
			if !record.PIITypes[t] {
				return fmt.Errorf("%q is not a type of pii-types.md", t)
			}
			d.m[sys] = append(d.m[sys], t)
		}
	}
	return nil
}

// noticeFlags are what notices say that records cannot.
type noticeFlags struct{ n breach.Notice }

func (f *noticeFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.n.Org, "org", "", "the organisation (개인정보처리자) named in notices")
	fs.StringVar(&f.n.How, "how", "", "how the breach happened (경위)")
	fs.StringVar(&f.n.Measures, "measures", "", "what the organisation has done (대응조치)")
	fs.StringVar(&f.n.ContactDept, "contact-dept", "", "department that takes reports and questions")
	fs.StringVar(&f.n.ContactPhone, "contact-phone", "", "its telephone number")
	fs.StringVar(&f.n.ContactEmail, "contact-email", "", "its e-mail address")
}

// parseArgs parses flags that may come before or after positional
// arguments, and returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

// nowArg reads --now: the wall clock unless a time is given (tests, replays).
func nowArg(s string) (time.Time, error) {
	if s == "" {
		return time.Now(), nil
	}
	t, err := parseTimeArg(s)
	if err != nil {
		return t, fmt.Errorf("now: %w", err)
	}
	return t, nil
}

func incidentArg(fs *flag.FlagSet, pos []string, want int) (int64, error) {
	if len(pos) != want {
		fs.Usage()
		return 0, errUsage
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(pos[0], "#"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("incident %q: want its number", pos[0])
	}
	return id, nil
}

func runBreachImpact(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "breach impact", "[--actor A] [--ip IP] [--key-id K] [--device D] [--session S] [--system SYS] [--from T] [--to T] [--alert ID] [--json]")
	data := dataFlag(fs)
	var sf scopeFlags
	sf.register(fs)
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	scope, err := sf.scope()
	if err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := breach.Impact(ctx, a.store, scope, sf.options(a))
	if err != nil {
		return err
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	if *asJSON {
		return writeJSON(out, rep)
	}
	return printReport(out, rep)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func kstStamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(kst).Format("2006-01-02 15:04:05")
}

// printReport writes the impact report as Korean tables.
func printReport(w io.Writer, rep *breach.Report) error {
	fmt.Fprintf(w, "영향받은 정보주체: %d명 (식별 %d명", rep.Subjects, rep.Listed)
	if rep.Unlisted > 0 {
		fmt.Fprintf(w, " + 원천 시스템이 열거하지 않은 %d명, 상한", rep.Unlisted)
	}
	fmt.Fprintf(w, ")\n관련 접속기록: %d건", rep.Records)
	if rep.Failed > 0 {
		fmt.Fprintf(w, " (거부·실패 %d건 제외)", rep.Failed)
	}
	fmt.Fprintf(w, "\n기간: %s ~ %s\n", kstStamp(rep.First), kstStamp(rep.Last))
	if rep.Scope.AlertTruncated {
		fmt.Fprintf(w, "주의: 경보 %s의 증거 기록 중 일부만 보관되어 있어 범위가 좁을 수 있습니다.\n", rep.Scope.Alert)
	}
	if types := rep.PIITypes(); len(types) > 0 {
		fmt.Fprintln(w, "\n개인정보 항목:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TYPE\t기록된 건수\t보유 선언 시스템의 정보주체\t항목")
		for _, t := range types {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", t, rep.PII[t], rep.PIIDeclared[t], breach.KoreanTypes([]string{t}))
		}
		tw.Flush()
	}
	fmt.Fprintln(w, "\n시스템별:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SYSTEM\t접속기록\t정보주체\t미열거\tPII\t이름")
	for _, s := range rep.Systems {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\n", s.System, s.Records, s.Subjects, s.Unlisted, strings.Join(s.PII, ","), s.Name)
	}
	tw.Flush()
	fmt.Fprintln(w, "\n일별:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DAY\t접속기록\t정보주체")
	for _, d := range rep.ByDay {
		fmt.Fprintf(tw, "%s\t%d\t%d\n", d.Day, d.Records, d.Subjects)
	}
	tw.Flush()
	if len(rep.NeedsEnumeration) > 0 {
		fmt.Fprintln(w, "\n원천 시스템에서 정보주체 목록을 추출해야 하는 대량 처리 기록:")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SYSTEM\tRECORD\tSUBJECT_COUNT\tLISTED")
		for _, n := range rep.NeedsEnumeration {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\n", n.System, n.Record, n.SubjectCount, n.Listed)
		}
		tw.Flush()
	}
	return nil
}

func runBreachOpen(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "breach open", "--title T --aware-at T [--intrusion] [scope flags as in impact] [notice flags]")
	data := dataFlag(fs)
	var sf scopeFlags
	sf.register(fs)
	var nf noticeFlags
	nf.register(fs)
	title := fs.String("title", "", "what happened, in a line")
	awareAt := fs.String("aware-at", "", "when the organisation became aware of it (RFC 3339); every deadline runs from here")
	intrusion := fs.Bool("intrusion", false, "outside unauthorised access (hacking): a report to the PIPC/KISA and the 24-hour intrusion report apply")
	by := fs.String("by", "", "who opens the incident")
	now := fs.String("now", "", "the time of opening (default: now)")
	asJSON := fs.Bool("json", false, "print the incident as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	aware, err := parseTimeArg(*awareAt)
	if err != nil {
		return fmt.Errorf("aware-at: %w", err)
	}
	opened, err := nowArg(*now)
	if err != nil {
		return err
	}
	scope, err := sf.scope()
	if err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	rep, err := breach.Impact(ctx, a.store, scope, sf.options(a))
	if err != nil {
		return err
	}
	inc, err := breach.Open(*title, aware, opened, *by, *intrusion, rep, nf.n)
	if err != nil {
		return err
	}
	if err := a.store.CreateIncident(ctx, inc); err != nil {
		return err
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	if *asJSON {
		return writeJSON(out, inc)
	}
	fmt.Fprintf(out, "사고 %d 등록: %s\n", inc.ID, inc.Title)
	fmt.Fprintf(out, "정보주체 %d명, 접속기록 %d건에 법적 보존조치(legal hold)를 걸었습니다.\n\n", inc.Subjects, inc.Records)
	return printDuties(out, inc, opened)
}

func printDuties(w io.Writer, inc *breach.Incident, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DUTY\tDEADLINE\t남은 시간\t내용 (근거)")
	for _, d := range inc.Duties {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s (%s)\n", d.Name, kstStamp(d.Deadline), d.Countdown(now), d.Title, d.Law)
	}
	return tw.Flush()
}

func runBreachList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "breach list", "[--now T] [--json]")
	data := dataFlag(fs)
	now := fs.String("now", "", "count down to deadlines from this time (default: now)")
	asJSON := fs.Bool("json", false, "print the incidents as JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	t, err := nowArg(*now)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	incs, err := a.store.Incidents(ctx)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	if *asJSON {
		if incs == nil {
			incs = []breach.Incident{}
		}
		return writeJSON(out, incs)
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tAWARE\tSUBJECTS\tOPEN\tNEXT DEADLINE\t남은 시간\t제목")
	for _, inc := range incs {
		var next *breach.Duty
		open := 0
		for i := range inc.Duties {
			d := &inc.Duties[i]
			if !d.DoneAt.IsZero() {
				continue
			}
			open++
			if next == nil || d.Deadline.Before(next.Deadline) {
				next = d
			}
		}
		deadline, left := "-", "모두 완료"
		if next != nil {
			deadline, left = kstStamp(next.Deadline)+" "+next.Name, next.Countdown(t)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%s\t%s\t%s\n", inc.ID, kstStamp(inc.AwareAt), inc.Subjects, open, deadline, left, inc.Title)
	}
	return tw.Flush()
}

func runBreachShow(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "breach show", "ID [--now T] [--json]")
	data := dataFlag(fs)
	now := fs.String("now", "", "count down to deadlines from this time (default: now)")
	asJSON := fs.Bool("json", false, "print the incident as JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	id, err := incidentArg(fs, pos, 1)
	if err != nil {
		return err
	}
	t, err := nowArg(*now)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	inc, err := a.store.Incident(ctx, id)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(e.stdout)
	defer out.Flush()
	if *asJSON {
		return writeJSON(out, inc)
	}
	fmt.Fprintf(out, "사고 %d: %s\n", inc.ID, inc.Title)
	fmt.Fprintf(out, "인지 일시: %s   등록: %s %s\n", kstStamp(inc.AwareAt), kstStamp(inc.OpenedAt), inc.OpenedBy)
	fmt.Fprintf(out, "범위: %s\n", breachScopeText(inc.Scope))
	fmt.Fprintf(out, "영향(등록 시점): 정보주체 %d명, 접속기록 %d건, %s ~ %s\n", inc.Subjects, inc.Records, kstStamp(inc.First), kstStamp(inc.Last))
	if len(inc.PII) > 0 {
		fmt.Fprintf(out, "개인정보 항목: %s\n", breach.KoreanTypes(inc.PII))
	}
	if inc.Intrusion {
		fmt.Fprintln(out, "외부로부터의 불법적인 접근(침해사고)")
	}
	fmt.Fprintf(out, "법적 보존조치: 범위의 접속기록 삭제 금지\n\n")
	if err := printDuties(out, inc, t); err != nil {
		return err
	}
	for _, d := range inc.Duties {
		if !d.DoneAt.IsZero() {
			fmt.Fprintf(out, "  %s: %s 완료 (%s)%s\n", d.Name, kstStamp(d.DoneAt), d.DoneBy, noteText(d.Note))
		}
	}
	return nil
}

func noteText(n string) string {
	if n == "" {
		return ""
	}
	return " — " + n
}

func breachScopeText(s breach.Scope) string {
	var parts []string
	for _, p := range []struct{ k, v string }{{"actor", s.Actor}, {"ip", s.IP}, {"key-id", s.KeyID}, {"device", s.Device},
		{"session", s.Session}, {"system", s.System}, {"alert", s.Alert}} {
		if p.v != "" {
			parts = append(parts, p.k+"="+p.v)
		}
	}
	if !s.From.IsZero() {
		parts = append(parts, "from="+kstStamp(s.From))
	}
	if !s.To.IsZero() {
		parts = append(parts, "to="+kstStamp(s.To))
	}
	if s.Alert != "" {
		parts = append(parts, fmt.Sprintf("(증거 기록 %d건)", len(s.Records)))
	}
	return strings.Join(parts, " ")
}

func runBreachDone(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "breach done", "ID DUTY --by WHO [--at T] [--note TEXT]")
	data := dataFlag(fs)
	by := fs.String("by", "", "who did it (required)")
	at := fs.String("at", "", "when it was done (default: now)")
	note := fs.String("note", "", "e.g. the regulator's receipt number")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	id, err := incidentArg(fs, pos, 2)
	if err != nil {
		return err
	}
	if *by == "" {
		return errors.New("--by: say who did it")
	}
	when, err := nowArg(*at)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	var done breach.Duty
	err = a.store.UpdateIncident(ctx, id, func(inc *breach.Incident) error {
		if err := inc.MarkDone(pos[1], when, *by, *note); err != nil {
			return err
		}
		for _, d := range inc.Duties {
			if d.Name == pos[1] {
				done = d
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "사고 %d %s: %s 완료 (%s), %s\n", id, done.Name, kstStamp(done.DoneAt), done.DoneBy, done.Countdown(when))
	return nil
}

func runBreachNotify(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "breach notify", "ID --actor WHO --reason TEXT --out FILE")
	data := dataFlag(fs)
	actor := fs.String("actor", "", "the privacy officer re-identifying the subjects (a person with role privacy_officer or cpo)")
	reason := fs.String("reason", "", "why (recorded as the purpose of jikimi's own access record)")
	outFile := fs.String("out", "", "CSV file for the notification system")
	now := fs.String("now", "", "time of the re-identification (default: now)")
	var sf scopeFlags // only --declared and --include-failed apply
	fs.Var(&sf.declared, "declared", "types of personal information a system holds, as SYSTEM=TYPE,TYPE (repeatable)")
	fs.BoolVar(&sf.includeFailed, "include-failed", false, "include subjects of denied and failed accesses")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	id, err := incidentArg(fs, pos, 1)
	if err != nil {
		return err
	}
	if *outFile == "" {
		return errors.New("--out: name the CSV file to write")
	}
	t, err := nowArg(*now)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{withPipeline: true})
	if err != nil {
		return err
	}
	defer a.Close()
	inc, err := a.store.Incident(ctx, id)
	if err != nil {
		return err
	}
	n := &breach.Notifier{Store: a.store, Sealed: a.store, Keyer: a.keyer, Directory: a.dir, Options: sf.options(a),
		Audit: func(ctx context.Context, rec *record.Record) error {
			p, err := a.pipe.NewPreparer().Prepare(rec)
			if err != nil {
				return err
			}
			_, err = a.pipe.Submit(ctx, []*ingest.Prepared{p})
			return err
		}}
	list, err := n.Notify(ctx, inc, *actor, *reason, t)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := list.WriteCSV(&buf); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(*outFile, buf.Bytes(), 0o600); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "정보주체 %d명을 재식별해 %s에 썼습니다. 이 재식별은 접속기록 %s (system jikimi)로 남았습니다.\n", len(list.Subjects), *outFile, list.AuditID)
	if k := len(list.NeedsEnumeration); k > 0 {
		fmt.Fprintf(e.stdout, "주의: 대량 처리 기록 %d건의 정보주체는 원천 시스템에서 추출해야 합니다 (jikimi breach impact로 확인).\n", k)
	}
	return nil
}

func runBreachNotice(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "breach notice", "ID --kind subject|regulator --out FILE [--pdf] [notice flags]")
	data := dataFlag(fs)
	kind := fs.String("kind", breach.KindSubject, "subject (notice to data subjects) or regulator (report to the PIPC/KISA)")
	outFile := fs.String("out", "", "file to write: text, or HTML when it ends in .html")
	pdf := fs.Bool("pdf", false, "write a PDF (needs /usr/bin/chromium)")
	now := fs.String("now", "", "date written on the notice (default: now)")
	var nf noticeFlags
	nf.register(fs)
	var sf scopeFlags
	fs.Var(&sf.declared, "declared", "types of personal information a system holds, as SYSTEM=TYPE,TYPE (repeatable)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	id, err := incidentArg(fs, pos, 1)
	if err != nil {
		return err
	}
	if *outFile == "" {
		return errors.New("--out: name the file to write")
	}
	t, err := nowArg(*now)
	if err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	inc, err := a.store.Incident(ctx, id)
	if err != nil {
		return err
	}
	rep, err := breach.Impact(ctx, a.store, inc.Scope, sf.options(a))
	if err != nil {
		return err
	}
	d, err := breach.NewNoticeData(*kind, inc, rep, nf.n, t)
	if err != nil {
		return err
	}
	ext := strings.ToLower(filepath.Ext(*outFile))
	if !*pdf && ext != ".html" && ext != ".htm" {
		text, err := d.Text()
		if err != nil {
			return err
		}
		return os.WriteFile(*outFile, text, 0o600)
	}
	html, err := d.HTML()
	if err != nil {
		return err
	}
	if !*pdf {
		return os.WriteFile(*outFile, html, 0o600)
	}
	err = breach.PDF(ctx, html, *outFile)
	if errors.Is(err, breach.ErrNoChromium) {
		alt := strings.TrimSuffix(*outFile, filepath.Ext(*outFile)) + ".html"
		if werr := os.WriteFile(alt, html, 0o600); werr != nil {
			return werr
		}
		fmt.Fprintf(e.stderr, "PDF를 만들지 않았습니다: %v. 인쇄용 HTML을 %s에 썼습니다 (브라우저에서 PDF로 인쇄하십시오).\n", err, alt)
		return nil
	}
	return err
}

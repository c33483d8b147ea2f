package scenario

import (
	"bufio"
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/record"
)

func small(normal bool) Config {
	return Config{Seed: 11, Days: 30, Staff: 60, Customers: 5000, Normal: normal, APIShare: 0.3}
}

func TestGenerateShape(t *testing.T) {
	ds := Generate(small(false))
	if len(ds.Records) < 10000 {
		t.Fatalf("%d records, want a busy month", len(ds.Records))
	}
	ids := map[string]bool{}
	systems := map[string]int{}
	payloads := 0
	for i := range ds.Records {
		r := &ds.Records[i]
		if err := r.Validate(); err != nil {
			t.Fatalf("record %s: %v", r.ID, err)
		}
		if ids[r.ID] {
			t.Fatalf("duplicate id %s", r.ID)
		}
		ids[r.ID] = true
		if i > 0 && r.Time.Before(ds.Records[i-1].Time) {
			t.Fatalf("record %d out of time order", i)
		}
		if _, off := r.Time.Zone(); off != 9*3600 {
			t.Fatalf("record %s carries offset %d, want +09:00", r.ID, off)
		}
		systems[r.System]++
		if r.Payload != "" {
			payloads++
		}
	}
	for _, s := range []string{"crm", "custdb", "member-api", "femto-gw", "pam", "hss-auth", "egress"} {
		if systems[s] == 0 {
			t.Errorf("no records of system %s", s)
		}
	}
	if payloads == 0 {
		t.Error("no payload samples for the PII counter")
	}
	if ds.ActiveStaff < 40 {
		t.Errorf("%d active staff", ds.ActiveStaff)
	}
	names := map[string]bool{}
	for _, in := range ds.Incidents {
		names[in.Name] = true
		if len(in.RecordIDs) == 0 || len(in.Rules) == 0 || in.Start.IsZero() {
			t.Errorf("incident %s incomplete", in.Name)
		}
		for _, id := range in.RecordIDs {
			if !ids[id] {
				t.Errorf("incident %s names record %s, which is not in the data set", in.Name, id)
				break
			}
		}
	}
	for _, want := range []string{"portal-dba-dump", "forged-tokens", "rogue-femtocell", "pam-inventory-leak", "auth-server-exfil"} {
		if !names[want] {
			t.Errorf("incident %s missing", want)
		}
	}
	if dir, err := ds.LoadDirectory(); err != nil {
		t.Fatal(err)
	} else if dir.Person("cs0001") == nil || dir.Key("jwt-2022") == nil || dir.System("pam") == nil || len(dir.DevicesWithCert(femtoCert)) < 2 {
		t.Error("directory lacks the organisation")
	}
}

// TestNormalIsControl: the incident month is the normal month plus the
// incidents, minus what a silenced source did not send.
func TestNormalIsControl(t *testing.T) {
	n, d := Generate(small(true)), Generate(small(false))
	if len(n.Incidents) != 0 {
		t.Fatalf("normal month has %d incidents", len(n.Incidents))
	}
	inc := map[string]bool{}
	for _, in := range d.Incidents {
		for _, id := range in.RecordIDs {
			inc[id] = true
		}
	}
	byID := map[string]*record.Record{}
	for i := range d.Records {
		byID[d.Records[i].ID] = &d.Records[i]
	}
	missing := 0
	for i := range n.Records {
		r := &n.Records[i]
		x := byID[r.ID]
		if x == nil {
			if r.System != "pam" {
				t.Fatalf("normal record %s (%s) missing from the incident month", r.ID, r.System)
			}
			missing++
			continue
		}
		if !bytes.Equal(x.Canonical(), r.Canonical()) {
			t.Fatalf("record %s differs between the months", r.ID)
		}
	}
	if missing == 0 {
		t.Error("the silenced PAM source still sent records")
	}
	if got, want := len(d.Records), len(n.Records)-missing+len(inc); got != want {
		t.Errorf("%d records, want %d", got, want)
	}
}

func TestDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := Generate(small(false)).WriteJSONL(&a); err != nil {
		t.Fatal(err)
	}
	if err := Generate(small(false)).WriteJSONL(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same seed, different output")
	}
	var c bytes.Buffer
	cfg := small(false)
	cfg.Seed = 12
	Generate(cfg).WriteJSONL(&c)
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatal("different seeds, same output")
	}
	// The lines are canonical records that read back.
	sc := bufio.NewScanner(&a)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() && n < 1000 {
		var r record.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		n++
	}
}

var rrnRe = regexp.MustCompile(`\b(\d{6})-(\d{7})\b`)

// TestPayloadPII: payload samples carry resident numbers with valid check
// digits and mobile numbers, so the PII counter has something real to count.
func TestPayloadPII(t *testing.T) {
	ds := Generate(small(false))
	rrns, phones := 0, 0
	for i := range ds.Records {
		p := ds.Records[i].Payload
		for _, m := range rrnRe.FindAllStringSubmatch(p, -1) {
			s := m[1] + m[2]
			w := []int{2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5}
			sum := 0
			for k := 0; k < 12; k++ {
				sum += int(s[k]-'0') * w[k]
			}
			if int(s[12]-'0') != (11-sum%11)%10 {
				t.Fatalf("resident number %s-%s has a bad check digit", m[1], m[2])
			}
			rrns++
		}
		phones += strings.Count(p, "010-")
	}
	if rrns < 100 || phones < 100 {
		t.Errorf("%d resident numbers, %d phones in payloads", rrns, phones)
	}
}

func TestIncidentPlacement(t *testing.T) {
	ds := Generate(Config{Seed: 3, Staff: 60, Customers: 5000, APIShare: 0.3})
	end := ds.Config.Start.AddDate(0, 0, ds.Config.Days)
	for _, in := range ds.Incidents {
		if in.Start.Before(ds.Config.Start.AddDate(0, 0, 7)) || !in.Start.Before(end) {
			t.Errorf("%s starts %s: want after the first week (baselines) and inside the month", in.Name, in.Start.Format(time.DateTime))
		}
	}
	forged := ds.Incident("forged-tokens")
	if forged == nil || slices.ContainsFunc(forged.AffectedSubjects, func(s string) bool { return s > "C00005000" }) {
		t.Error("forged-tokens ground truth must list only existing customers")
	}
}

package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jikimi/jikimi/account"
	"github.com/jikimi/jikimi/casework"
)

func TestCaseworkAndAccountTables(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.User(ctx, "nobody"); !errors.Is(err, account.ErrNoUser) {
		t.Errorf("User(nobody) = %v, want ErrNoUser", err)
	}
	if err := s.PutUser(ctx, account.User{ID: "kim", Role: account.Staff}); err != nil {
		t.Fatal(err)
	}
	if u, err := s.User(ctx, "kim"); err != nil || u.Role != account.Staff {
		t.Errorf("User(kim) = %+v, %v", u, err)
	}
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	c := &casework.Case{ID: "c1", AlertID: "a1", Person: "kim", Status: casework.Requested, AlertAt: now, Deadline: now.Add(time.Hour)}
	if err := s.PutCase(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCase(ctx, &casework.Case{ID: "c2", AlertID: "a1", Person: "kim", Status: casework.Open, AlertAt: now}); !errors.Is(err, casework.ErrExists) {
		t.Errorf("second case for one alert: %v, want ErrExists", err)
	}
	if got, err := s.CaseForAlert(ctx, "a1"); err != nil || got.ID != "c1" {
		t.Errorf("CaseForAlert = %v, %v", got, err)
	}
	for _, tc := range []struct {
		name string
		f    casework.Filter
		want int
	}{
		{"person", casework.Filter{Person: "kim"}, 1},
		{"other person", casework.Filter{Person: "lee"}, 0},
		{"overdue later", casework.Filter{Overdue: now.Add(2 * time.Hour)}, 1},
		{"not overdue yet", casework.Filter{Overdue: now.Add(time.Minute)}, 0},
		{"status", casework.Filter{Status: []casework.Status{casework.Approved}}, 0},
		{"period", casework.Filter{From: now, To: now.Add(time.Hour)}, 1},
	} {
		got, err := s.Cases(ctx, tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("%s: %d cases, %v; want %d", tc.name, len(got), err, tc.want)
		}
	}
	if err := s.PutReport(ctx, StoredReport{ID: "r1", Period: "2026-09", Created: now, Doc: []byte("{}")}); err != nil {
		t.Fatal(err)
	}
	if err := s.SignReport(ctx, "r1", "officer", now); err != nil {
		t.Fatal(err)
	}
	if err := s.SignReport(ctx, "r1", "someone", now); err == nil {
		t.Errorf("a report was signed twice")
	}
	if r, err := s.Report(ctx, "r1"); err != nil || r.SignedBy != "officer" {
		t.Errorf("Report = %+v, %v", r, err)
	}
}

package detect

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/record"
)

// TestPhrasesFollowListing: summaries written from an alert's cached
// phrases are those written afresh while accounts, names, addresses,
// objects and actions are added to it.
func TestPhrasesFollowListing(t *testing.T) {
	dir := directory.New()
	people := func(kimName string) {
		t.Helper()
		if _, err := dir.Import(strings.NewReader(`{"kind":"person","id":"kim","name":"`+kimName+`"}
{"kind":"person","id":"lee","name":"이영희","ips":["10.0.0.9"]}`), "d"); err != nil {
			t.Fatal(err)
		}
	}
	people("김철수")
	e, err := New(nil, Options{Directory: dir})
	if err != nil {
		t.Fatal(err)
	}
	r := &Rule{Title: "제목", TitleEn: "title"}
	o := &openAlert{}
	t0 := time.Date(2025, 9, 24, 20, 40, 0, 0, kst)
	for i, c := range []struct {
		actor, ip, object string
		action            record.Action
	}{
		{"kim", "10.0.0.1", "고객상세", record.View},
		{"kim", "10.0.0.1", "고객상세", record.View},
		{"lee", "10.0.0.2", "고객목록", record.Search},
		{"rename", "10.0.0.3", "고객상세", record.View},
		{"kim", "10.0.0.9", "고객상세", record.View}, // lee's address: only the owner is new
		{"park", "10.0.0.4", "주문", record.Print},
		{"choi", "10.0.0.5", "주문", record.Delete},
		{"kim", "10.0.0.1", "배송", record.Update},
	} {
		if c.actor == "rename" {
			people("김철수2")
			c.actor = "kim"
		}
		at := t0.Add(time.Duration(i) * 13 * time.Hour)
		rec := &record.Record{ID: fmt.Sprint("r", i), Time: at, System: "crm", Actor: record.Actor{ID: c.actor},
			Origin: record.Origin{IP: c.ip}, Target: record.Target{Object: c.object}, Action: c.action}
		ev := &event{e: e, rec: rec, t: at.UnixNano(), kst: at.In(kst)}
		o.merge(e, &finding{ev: ev, t: ev.t, first: ev.t, ids: []string{rec.ID}})
		fresh := *o
		fresh.phrases = phrases{}
		gotKo, gotEn := o.describe(r, nil, nil)
		wantKo, wantEn := fresh.describe(r, nil, nil)
		if string(gotKo) != string(wantKo) || string(gotEn) != string(wantEn) {
			t.Fatalf("after record %d:\n got %s\n     %s\nwant %s\n     %s", i, gotKo, gotEn, wantKo, wantEn)
		}
	}
	if !o.moreAct || len(o.ips) != maxListed || o.owner == "" || o.renamed != 3 {
		t.Errorf("the records did not exercise the listing: %+v", o.listing())
	}
}

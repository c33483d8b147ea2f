package directory

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const sample = `{"kind":"person","id":"kim.j","name":"김지수","dept":"고객지원","status":"active","ips":["10.1.2.0/24"],"work_hours":"Mon-Fri 08:00-19:00"}
{"kind":"person","id":"lee.h","name":"이현","status":"departed","departed_at":"2025-06-30T18:00:00+09:00","ips":["10.1.3.7"]}
{"kind":"person","id":"night","work_hours":"Mon-Sun 22:00-06:00"}
{"kind":"key","id":"tok-2024","owner":"lee.h","revoked_at":"2025-07-01T00:00:00+09:00"}
{"kind":"device","id":"femto-1","cert":"sha256:aa","ips":["172.20.0.0/16"]}
{"kind":"device","id":"femto-2","cert":"sha256:aa"}
{"kind":"system","id":"custdb","subjects":1200000,"retention":"2y","expected_silence":"1h"}
`

var kst = time.FixedZone("KST", 9*3600)

func TestImportAndLookups(t *testing.T) {
	d := New()
	n, err := d.Import(strings.NewReader(sample), "dir.jsonl")
	if err != nil || n != 7 {
		t.Fatalf("Import = %d, %v; want 7", n, err)
	}
	if p := d.OwnerOfAddress("10.1.2.77"); p == nil || p.ID != "kim.j" {
		t.Fatalf("OwnerOfAddress(10.1.2.77) = %v, want kim.j", p)
	}
	if p := d.OwnerOfAddress("10.1.3.7"); p != nil {
		t.Fatalf("a departed person's address is still assigned to %s", p.ID)
	}
	kim := d.Person("kim.j")
	if !kim.Working(time.Date(2026, 9, 1, 9, 0, 0, 0, kst)) || kim.Working(time.Date(2026, 9, 1, 3, 0, 0, 0, kst)) || kim.Working(time.Date(2026, 9, 6, 10, 0, 0, 0, kst)) {
		t.Fatal("working hours Mon-Fri 08:00-19:00 misread")
	}
	night := d.Person("night")
	if !night.Working(time.Date(2026, 9, 1, 23, 0, 0, 0, kst)) || !night.Working(time.Date(2026, 9, 2, 5, 0, 0, 0, kst)) || night.Working(time.Date(2026, 9, 2, 12, 0, 0, 0, kst)) {
		t.Fatal("a shift past midnight is misread")
	}
	lee := d.Person("lee.h")
	if lee.Departed(time.Date(2025, 6, 1, 0, 0, 0, 0, kst)) || !lee.Departed(time.Date(2025, 7, 1, 0, 0, 0, 0, kst)) {
		t.Fatal("departure time misread")
	}
	if k := d.Key("tok-2024"); !k.Revoked(time.Date(2025, 8, 1, 0, 0, 0, 0, kst)) {
		t.Fatal("revoked key not revoked")
	}
	if len(d.DevicesWithCert("sha256:aa")) != 2 {
		t.Fatal("shared certificate not indexed")
	}
	if dev := d.Device("femto-1"); dev.Allowed("10.0.0.1") || !dev.Allowed("172.20.1.1") {
		t.Fatal("device address range misread")
	}
	dir := t.TempDir()
	if err := d.Save(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil || len(back.People()) != 3 || len(back.Devices()) != 2 || back.System("custdb").Subjects != 1200000 {
		t.Fatalf("Load after Save: %v", err)
	}
}

func TestImportRejectsBadLinesWholly(t *testing.T) {
	tests := []struct{ line, field string }{
		{`{"kind":"person","id":"a","ips":["10.0.0.300"]}`, "ips"},
		{`{"kind":"person","id":"a","work_hours":"weekdays"}`, "work_hours"},
		{`{"kind":"person","id":"a","status":"gone"}`, "status"},
		{`{"kind":"robot","id":"a"}`, "kind"},
		{`{"kind":"person"}`, "id"},
		{`{"kind":"system","id":"s","retention":"forever"}`, "retention"},
		{`{"kind":"key","id":"k","onwer":"x"}`, "key"},
	}
	for _, tt := range tests {
		d := New()
		_, err := d.Import(strings.NewReader(sample+tt.line+"\n"), "dir.jsonl")
		var le *LineError
		if !errors.As(err, &le) || le.Line != 8 || le.Field != tt.field {
			t.Errorf("%s: error %v, want line 8 field %s", tt.line, err, tt.field)
		}
		if len(d.People()) != 0 {
			t.Errorf("%s: a failed import applied %d people", tt.line, len(d.People()))
		}
	}
}

package detect_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/scenario"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from this run")

// TestAlertsGolden pins the last state of every alert of the demo month and
// of the normal month, field by field, so that work on the engine's speed
// can show it changed nothing a reader of the alerts sees. After an
// intended change to the rules or the summaries, review the diff of
//
//	go test -run TestAlertsGolden -update ./detect/
func TestAlertsGolden(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and replays two months")
	}
	for _, c := range []struct {
		name string
		run  func(testing.TB) (*scenario.Dataset, *run)
	}{
		{"demo-month", demo},
		{"normal-month", normal},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, r := c.run(t)
			got := goldenAlerts(t, r)
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
				for i := range min(len(g), len(w)) {
					if g[i] != w[i] {
						t.Fatalf("%s line %d:\n got %s\nwant %s", path, i+1, g[i], w[i])
					}
				}
				t.Fatalf("%s: %d lines, want %d", path, len(g), len(w))
			}
		})
	}
}

// goldenAlerts renders a run's alerts one JSON line each, by id, with the
// evidence ids as their count and digest to keep the file readable.
func goldenAlerts(tb testing.TB, r *run) []byte {
	tb.Helper()
	type pinned struct {
		*alert.Alert
		Records string `json:"records"` // shadows Alert.Records
	}
	var b bytes.Buffer
	for _, id := range slices.Sorted(maps.Keys(r.alerts)) {
		a := r.alerts[id]
		sum := sha256.Sum256([]byte(strings.Join(a.Records, "\n")))
		line, err := json.Marshal(pinned{a, strconv.Itoa(len(a.Records)) + ":" + hex.EncodeToString(sum[:8])})
		if err != nil {
			tb.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

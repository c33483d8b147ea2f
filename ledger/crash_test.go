package ledger

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jikimi/jikimi/record"
	"github.com/transparency-dev/tessera/api"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
)

const crashChildEnv = "JIKIMI_LEDGER_CRASH_CHILD"

func crashHash(i int) record.Hash {
	return sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(i)))
}

// TestCrashDurability checks the acknowledgement rule: a position Seal
// returned survives kill -9. A child process (this test binary) seals in a
// loop and prints each acknowledged position; the parent kills it with
// SIGKILL, reopens the ledger and finds every printed hash at its position.
func TestCrashDurability(t *testing.T) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	e := newEnv(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashDurability$", "-test.v")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+e.data+"|"+e.anchor)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[int]Position{}
	sc := bufio.NewScanner(out)
	deadline := time.Now().Add(30 * time.Second)
	for sc.Scan() && len(acked) < 200_000 && time.Now().Before(deadline) {
		f := strings.Fields(sc.Text())
		if len(f) != 4 || f[0] != "ack" {
			continue
		}
		i, _ := strconv.Atoi(f[1])
		leaf, _ := strconv.ParseUint(f[2], 10, 64)
		slot, _ := strconv.Atoi(f[3])
		acked[i] = Position{Period: testPeriod, Leaf: leaf, Slot: uint16(slot)}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if len(acked) < 10_000 {
		t.Fatalf("child acknowledged only %d hashes before the deadline", len(acked))
	}

	// Reopen: Open republishes and Close anchors a checkpoint covering
	// everything integrated before the kill.
	o := e.options()
	l := openLedger(t, o)
	if err := l.Close(); err != nil {
		t.Fatalf("Close after crash: %v", err)
	}
	dir := filepath.Join(o.Dir, testPeriod)
	cp, err := readCheckpointFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := client.FileFetcher{Root: dir}
	bundles := map[uint64]api.EntryBundle{}
	for i, pos := range acked {
		if pos.Leaf >= cp.Size {
			t.Fatalf("hash %d acknowledged at leaf %d, but the log has %d leaves after the crash", i, pos.Leaf, cp.Size)
		}
		b := pos.Leaf / layout.EntryBundleWidth
		eb, ok := bundles[b]
		if !ok {
			if eb, err = client.GetEntryBundle(context.Background(), f.ReadEntryBundle, b, cp.Size); err != nil {
				t.Fatal(err)
			}
			bundles[b] = eb
		}
		leaf := eb.Entries[pos.Leaf%layout.EntryBundleWidth]
		h := crashHash(i)
		if s := int(pos.Slot) * 32; s+32 > len(leaf) || string(leaf[s:s+32]) != string(h[:]) {
			t.Fatalf("hash %d acknowledged at %v is not there after kill -9", i, pos)
		}
	}
	t.Logf("%d acknowledged hashes all present after kill -9 (log: %d leaves)", len(acked), cp.Size)

	// And the log verifies end to end against its anchored checkpoint.
	ro := o
	ro.ReadOnly = true
	rl := openLedger(t, ro)
	defer rl.Close()
	v, err := rl.NewVerifier(context.Background(), testPeriod)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := v.Finish()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.Findings {
		if f.Kind != KindDeleted { // no records were fed: every slot reads as deleted
			t.Fatalf("log-level finding after crash: %s", f)
		}
	}
}

// crashChild seals batches until killed, printing one line per acknowledged
// hash.
func crashChild(env string) {
	data, anchor, _ := strings.Cut(env, "|")
	o := testEnv{data: data, anchor: anchor}.options()
	l, err := Open(context.Background(), o)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	w := bufio.NewWriter(os.Stdout)
	for next := 0; ; {
		n := 997
		hs := make([]record.Hash, n)
		for i := range hs {
			hs[i] = crashHash(next + i)
		}
		pos, err := l.Seal(context.Background(), testPeriod, hs)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(2)
		}
		for i, p := range pos {
			fmt.Fprintf(w, "ack %d %d %d\n", next+i, p.Leaf, p.Slot)
		}
		w.Flush()
		next += n
	}
}

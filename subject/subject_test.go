package subject

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPseudonymsAreKeyedAndReversibleOnlyWithTheKey(t *testing.T) {
	dir := t.TempDir()
	k, err := LoadKey(dir)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
	a, b := k.Of("C00012345"), k.Clone().Of("C00012345")
	if a != b || a == k.Of("C00012346") {
		t.Fatal("pseudonyms not deterministic, or equal for different identifiers")
	}
	again, _ := LoadKey(dir)
	if again.Of("C00012345") != a {
		t.Fatal("reloading the key changed the pseudonym")
	}
	other, _ := LoadKey(t.TempDir())
	if other.Of("C00012345") == a {
		t.Fatal("another key gives the same pseudonym")
	}
	sealed := k.Seal(a, "C00012345")
	if id, err := again.Reveal(a, sealed); err != nil || id != "C00012345" {
		t.Fatalf("Reveal = %q, %v", id, err)
	}
	if _, err := other.Reveal(a, sealed); err == nil {
		t.Fatal("another key revealed the identifier")
	}
	if p, err := ParsePseudonym(a.String()); err != nil || p != a {
		t.Fatalf("ParsePseudonym round trip: %v", err)
	}
}

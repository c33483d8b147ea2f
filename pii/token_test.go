package pii

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestReadPlain checks readToken, with its fast path, against the general
// reader on random digit-dense text.
func TestReadPlain(t *testing.T) {
	pieces := []string{"0", "1", "5", "9", "12", "345", "6789", "-", "-", ".", " ", " - ", "*", "a", ",", ":",
		"１", "－", "가", "\n", "+", "/"}
	r := rand.New(rand.NewPCG(7, 8))
	accepted := 0
	for range 20000 {
		var text []byte
		for range 4 + r.IntN(24) {
			text = append(text, pieces[r.IntN(len(pieces))]...)
		}
		for p := range text {
			if !isDigit(text[p]) {
				continue
			}
			if plain := garbageToken(); plain.readPlain(text, p) {
				accepted++
			}
			s := &Scanner{b: text, tok: *garbageToken()}
			s.readToken(p)
			slow := garbageToken()
			slow.reset(text, p)
			slow.readGroups(text, p)
			if got, want := tokenString(&s.tok), tokenString(slow); got != want {
				t.Fatalf("token at %d of %q:\nreadToken  %s\nreadGroups %s", p, text, got, want)
			}
		}
	}
	if accepted < 10000 {
		t.Errorf("readPlain accepted %d tokens, want the test to exercise it more", accepted)
	}
}

// tokenString shows the fields of t that classification reads.
func tokenString(t *token) string {
	return fmt.Sprintf("[%d,%d) digits %q groups %v %v %v %v seps %q stars %d long %v plus %v spaces %v",
		t.start, t.end, t.d[:t.nd], t.gd[:t.ng], t.gl[:t.ng], t.gs[:t.ng], t.ge[:t.ng], t.sep[:t.ng],
		t.stars, t.long, t.plus, t.spaces)
}

// garbageToken returns a token left over from reading something else, as
// the Scanner's is.
func garbageToken() *token {
	t := &token{}
	for i := range t.d {
		t.d[i] = 'x'
	}
	for g := range maxGroups {
		t.gd[g], t.gl[g], t.gs[g], t.ge[g], t.sep[g] = 99, 99, 99, 99, '?'
	}
	return t
}

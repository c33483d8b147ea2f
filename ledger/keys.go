package ledger

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/jikimi/jikimi/internal/fsutil"
)

// algEd25519 is the signature algorithm byte of C2SP signed-note keys.
const algEd25519 = 0x01

// signingKey is one Ed25519 key of the ledger's key history. Seq orders the
// history: the key with the highest Seq is the primary signer.
type signingKey struct {
	seq     int
	created time.Time
	pub     ed25519.PublicKey
	priv    ed25519.PrivateKey // nil when only the public half is known
}

// Key files live in KeyDir as ledger-NNNN.key (mode 0600: "created RFC3339\n"
// then the base64 seed) and ledger-NNNN.pub (the note verifier string).
func keyFileName(seq int, ext string) string { return fmt.Sprintf("ledger-%04d.%s", seq, ext) }

// loadKeys reads every key of dir, oldest first.
func loadKeys(dir string) ([]*signingKey, error) {
	names, err := filepath.Glob(filepath.Join(dir, "ledger-*.key"))
	if err != nil {
		return nil, err
	}
	var keys []*signingKey
	for _, p := range names {
		base := strings.TrimSuffix(filepath.Base(p), ".key")
		seq, err := strconv.Atoi(strings.TrimPrefix(base, "ledger-"))
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read key: %w", err)
		}
		created, seed, ok := strings.Cut(strings.TrimSpace(string(raw)), "\n")
		t, err1 := time.Parse(time.RFC3339, strings.TrimPrefix(created, "created "))
		s, err2 := base64.StdEncoding.DecodeString(strings.TrimSpace(seed))
		if !ok || err1 != nil || err2 != nil || len(s) != ed25519.SeedSize {
			return nil, fmt.Errorf("read key %s: malformed", p)
		}
		priv := ed25519.NewKeyFromSeed(s)
		keys = append(keys, &signingKey{seq: seq, created: t, priv: priv, pub: priv.Public().(ed25519.PublicKey)})
	}
	slices.SortFunc(keys, func(a, b *signingKey) int { return a.seq - b.seq })
	return keys, nil
}

// newKey creates the next key in dir. The private key file is written with
// O_EXCL and mode 0600 so an existing key is never replaced.
func newKey(dir, name string, seq int, now time.Time) (*signingKey, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create key dir: %w", err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	k := &signingKey{seq: seq, created: now.UTC().Truncate(time.Second), pub: pub, priv: priv}
	body := fmt.Sprintf("created %s\n%s\n", k.created.Format(time.RFC3339), base64.StdEncoding.EncodeToString(priv.Seed()))
	if err := writeExclusive(filepath.Join(dir, keyFileName(seq, "key")), []byte(body), 0o600); err != nil {
		return nil, fmt.Errorf("write key: %w", err)
	}
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, err
	}
	if err := writeExclusive(filepath.Join(dir, keyFileName(seq, "pub")), []byte(vkey+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("write public key: %w", err)
	}
	return k, nil
}

// writeExclusive durably creates path with data; it fails with fs.ErrExist
// rather than overwrite. The data appears whole or not at all: it is written
// to a temporary file that is then hard-linked into place.
func writeExclusive(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", path, fs.ErrExist)
		}
		return err
	}
	return fsutil.SyncDir(dir)
}

// keyHash is the C2SP signed-note key hash: the first four bytes of
// SHA-256(name || "\n" || 0x01 || public key).
func keyHash(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', algEd25519})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// edSigner signs checkpoints of one log (its origin is the note key name).
type edSigner struct {
	name string
	hash uint32
	priv ed25519.PrivateKey
}

var _ note.Signer = (*edSigner)(nil)

func newSigner(origin string, k *signingKey) *edSigner {
	return &edSigner{name: origin, hash: keyHash(origin, k.pub), priv: k.priv}
}

func (s *edSigner) Name() string                    { return s.name }
func (s *edSigner) KeyHash() uint32                 { return s.hash }
func (s *edSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }

// edVerifier verifies the checkpoints of one log with one public key.
type edVerifier struct {
	name string
	hash uint32
	pub  ed25519.PublicKey
}

var _ note.Verifier = (*edVerifier)(nil)

func (v *edVerifier) Name() string    { return v.name }
func (v *edVerifier) KeyHash() uint32 { return v.hash }
func (v *edVerifier) Verify(msg, sig []byte) bool {
	return ed25519.Verify(v.pub, msg, sig)
}

// verifiersFor returns verifiers that accept origin's checkpoints signed by
// any of pubs.
func verifiersFor(origin string, pubs []ed25519.PublicKey) note.Verifiers {
	vs := make([]note.Verifier, 0, len(pubs))
	seen := map[uint32]bool{}
	for _, p := range pubs {
		h := keyHash(origin, p)
		if seen[h] {
			continue
		}
		seen[h] = true
		vs = append(vs, &edVerifier{name: origin, hash: h, pub: p})
	}
	return note.VerifierList(vs...)
}

// PublicKey is one parsed verifier string: the log name it was issued for
// (the origin prefix) and the Ed25519 key.
type PublicKey struct {
	Name string
	Key  ed25519.PublicKey
}

// ParsePublicKey parses a note verifier string "name+hash+base64(0x01||key)",
// as printed by PublicKeys, and checks its hash.
func ParsePublicKey(vkey string) (PublicKey, error) {
	vkey = strings.TrimSpace(vkey)
	name, rest, ok1 := strings.Cut(vkey, "+")
	hash16, key64, ok2 := strings.Cut(rest, "+")
	raw, err := base64.StdEncoding.DecodeString(key64)
	if !ok1 || !ok2 || err != nil || len(raw) != 1+ed25519.PublicKeySize || raw[0] != algEd25519 {
		return PublicKey{}, fmt.Errorf("%w: %q", ErrBadKey, vkey)
	}
	pub := ed25519.PublicKey(raw[1:])
	if h, err := strconv.ParseUint(hash16, 16, 32); err != nil || len(hash16) != 8 || uint32(h) != keyHash(name, pub) {
		return PublicKey{}, fmt.Errorf("%w: hash does not match key: %q", ErrBadKey, vkey)
	}
	return PublicKey{Name: name, Key: pub}, nil
}

// String returns the note verifier string of k.
func (k PublicKey) String() string {
	s, _ := note.NewEd25519VerifierKey(k.Name, k.Key)
	return s
}

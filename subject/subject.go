// Package subject turns data-subject identifiers (customer numbers and the
// like) into keyed pseudonyms, and back again for breach notification.
//
// The store never sees an identifier: it keeps the pseudonym, an HMAC-SHA256
// of the identifier under a key that lives in its own file beside the
// database (mode 0600), and a sealed copy of the identifier that only the
// same key opens. Re-identification is therefore impossible from a copy of
// the database alone, and jikimi records every use of Reveal (see breach).
package subject

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
)

// KeyFile is the key's file name in the data directory.
const KeyFile = "subject.key"

// Size is the length of a pseudonym in bytes.
const Size = 16

// Pseudonym is the keyed pseudonym of one identifier.
type Pseudonym [Size]byte

// String returns the pseudonym in hex, as it appears in stored records.
func (p Pseudonym) String() string { return hex.EncodeToString(p[:]) }

// ParsePseudonym reads a pseudonym written by String.
func ParsePseudonym(s string) (Pseudonym, error) {
	var p Pseudonym
	if hex.DecodedLen(len(s)) != Size {
		return p, fmt.Errorf("pseudonym %q: want %d hex digits", s, 2*Size)
	}
	_, err := hex.Decode(p[:], []byte(s))
	return p, err
}

// Keyer computes pseudonyms. It is not safe for concurrent use (it reuses
// its HMAC state); give each goroutine its own with Clone.
type Keyer struct {
	key  []byte
	mac  hash.Hash
	aead cipher.AEAD
	sum  []byte
}

// LoadKey reads the key from dataDir, creating it (32 random bytes, mode
// 0600) on first use.
func LoadKey(dataDir string) (*Keyer, error) {
	path := filepath.Join(dataDir, KeyFile)
	key, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create subject key: %w", err)
		}
		if _, err := f.Write(key); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, err
		}
		if err := f.Close(); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("read subject key: %w", err)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("subject key %s: %d bytes, want 32", path, len(key))
	}
	return NewKeyer(key)
}

// NewKeyer returns a Keyer for a 32-byte key.
func NewKeyer(key []byte) (*Keyer, error) {
	// Separate sub-keys for the MAC and the cipher, derived from the one key.
	d := hmac.New(sha256.New, key)
	d.Write([]byte("jikimi subject seal"))
	block, err := aes.NewCipher(d.Sum(nil))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Keyer{key: key, mac: hmac.New(sha256.New, key), aead: aead, sum: make([]byte, 0, sha256.Size)}, nil
}

// Clone returns an independent Keyer with the same key.
func (k *Keyer) Clone() *Keyer {
	c, _ := NewKeyer(k.key) // the key was valid for k
	return c
}

// Of returns the pseudonym of an identifier.
func (k *Keyer) Of(id string) Pseudonym {
	k.mac.Reset()
	k.mac.Write([]byte(id))
	k.sum = k.mac.Sum(k.sum[:0])
	var p Pseudonym
	copy(p[:], k.sum)
	return p
}

// Seal encrypts an identifier for later re-identification. The nonce is
// taken from the pseudonym, so the same identifier always seals to the same
// bytes and different identifiers never share a nonce.
func (k *Keyer) Seal(p Pseudonym, id string) []byte {
	return k.aead.Seal(nil, p[:k.aead.NonceSize()], []byte(id), p[:])
}

// Reveal opens a sealed identifier.
func (k *Keyer) Reveal(p Pseudonym, sealed []byte) (string, error) {
	id, err := k.aead.Open(nil, p[:k.aead.NonceSize()], sealed, p[:])
	if err != nil {
		return "", fmt.Errorf("reveal %s: %w", p, err)
	}
	return string(id), nil
}

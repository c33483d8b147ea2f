// Package record defines the access record (접속기록), its canonical JSON
// encoding and its validation, as specified in shared/schema/access-record.md.
//
// Every other package speaks this type. The canonical bytes of a record are
// what jikimi hashes and seals, so Canonical must stay stable: fields are
// written in the schema's order, empty fields are left out, and nothing
// insignificant (whitespace, key order of maps) varies.
package record

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// Action is the work performed (수행업무).
type Action string

// The actions of the schema.
const (
	Login       Action = "login"
	LoginFailed Action = "login_failed"
	Logout      Action = "logout"
	View        Action = "view"
	Search      Action = "search"
	Export      Action = "export"
	Download    Action = "download"
	Print       Action = "print"
	Create      Action = "create"
	Update      Action = "update"
	Delete      Action = "delete"
	Grant       Action = "grant"
	Revoke      Action = "revoke"
	Admin       Action = "admin"
	Other       Action = "other"
)

// Record is one access record. The zero value is not valid: Time, System,
// Actor.ID and Action are required (see Validate).
type Record struct {
	ID           string            `json:"id,omitempty"`
	Time         time.Time         `json:"time"`
	System       string            `json:"system"`
	Actor        Actor             `json:"actor"`
	Action       Action            `json:"action"`
	Origin       Origin            `json:"origin"`
	Auth         Auth              `json:"auth"`
	Target       Target            `json:"target"`
	Detail       string            `json:"detail,omitempty"`
	Purpose      string            `json:"purpose,omitempty"`
	Result       Result            `json:"result"`
	Subjects     []string          `json:"subjects,omitempty"`
	SubjectCount int64             `json:"subject_count,omitempty"`
	PII          map[string]int64  `json:"pii,omitempty"`
	Payload      string            `json:"payload,omitempty"`
	Attrs        map[string]string `json:"attrs,omitempty"`
}

// Actor is the account that acted (계정).
type Actor struct {
	ID   string `json:"id"`
	Type string `json:"type,omitempty"`
	Name string `json:"name,omitempty"`
	Dept string `json:"dept,omitempty"`
}

// Origin is where the access came from (접속지 정보).
type Origin struct {
	IP        string `json:"ip,omitempty"`
	Host      string `json:"host,omitempty"`
	Device    string `json:"device,omitempty"`
	Cert      string `json:"cert,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
}

// Auth describes how the actor authenticated.
type Auth struct {
	Method   string `json:"method,omitempty"`
	Session  string `json:"session,omitempty"`
	KeyID    string `json:"key_id,omitempty"`
	External bool   `json:"external,omitempty"`
}

// Target is the object touched.
type Target struct {
	Object string `json:"object,omitempty"`
	Kind   string `json:"kind,omitempty"`
}

// Result is the outcome. Rows and Bytes are nil when the source did not say:
// an export of unknown size must never read as "0 rows".
type Result struct {
	Status string `json:"status,omitempty"`
	Rows   *int64 `json:"rows,omitempty"`
	Bytes  *int64 `json:"bytes,omitempty"`
}

// Int64 returns a pointer to v, for Result.Rows and Result.Bytes.
func Int64(v int64) *int64 { return &v }

// Status returns the result status with its default applied.
func (r *Record) Status() string {
	if r.Result.Status == "" {
		return "ok"
	}
	return r.Result.Status
}

// ActorType returns the actor type with its default applied.
func (r *Record) ActorType() string {
	if r.Actor.Type == "" {
		return "employee"
	}
	return r.Actor.Type
}

// Subjects returns the number of data subjects processed: SubjectCount, or
// the length of Subjects when that is larger.
func (r *Record) SubjectTotal() int64 {
	if n := int64(len(r.Subjects)); n > r.SubjectCount {
		return n
	}
	return r.SubjectCount
}

// Rows returns the rows processed, or -1 when unknown.
func (r *Record) Rows() int64 {
	if r.Result.Rows == nil {
		return -1
	}
	return *r.Result.Rows
}

// Hash is the SHA-256 of a record's canonical bytes: what the ledger seals.
type Hash [sha256.Size]byte

// HashOf returns the hash of canonical bytes.
func HashOf(canonical []byte) Hash { return sha256.Sum256(canonical) }

// String returns the hash in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// DeriveID sets r.ID, when empty, from the hash of the record's canonical
// bytes as received, so that the same line sent twice gets the same id.
func (r *Record) DeriveID() {
	if r.ID != "" {
		return
	}
	h := HashOf(r.AppendCanonical(nil))
	r.ID = "h-" + hex.EncodeToString(h[:16])
}

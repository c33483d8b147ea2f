package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// FieldError says which field of a record is wrong and why.
type FieldError struct {
	Field  string // dotted path, e.g. "actor.id"
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

// Allowed values of the enumerated fields, from the schema.
var (
	actions     = set("login", "login_failed", "logout", "view", "search", "export", "download", "print", "create", "update", "delete", "grant", "revoke", "admin", "other")
	actorTypes  = set("employee", "contractor", "service", "customer", "unknown")
	authMethods = set("password", "mfa", "otp", "cert", "token", "key", "none")
	targetKinds = set("table", "api", "screen", "file", "host")
	statuses    = set("ok", "denied", "error")
	// PIITypes are the type names of shared/schema/pii-types.md.
	PIITypes = set("rrn", "frn", "passport", "driver_license", "phone", "phone_business", "email", "card", "card_masked", "account", "brn", "address", "name", "ip", "ip_private", "birth_date")
)

func set(vs ...string) map[string]bool {
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// ValidAction reports whether a is one of the schema's actions.
func ValidAction(a string) bool { return actions[a] }

// Validate checks r against the schema and returns a *FieldError naming the
// first field that is wrong.
func (r *Record) Validate() error {
	bad := func(field, format string, args ...any) error {
		return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case r.Time.IsZero():
		return bad("time", "required (RFC 3339 with offset)")
	case r.System == "":
		return bad("system", "required")
	case r.Actor.ID == "":
		return bad("actor.id", "required")
	case r.Action == "":
		return bad("action", "required")
	case !actions[string(r.Action)]:
		return bad("action", "%q is not one of login, login_failed, logout, view, search, export, download, print, create, update, delete, grant, revoke, admin, other", r.Action)
	case r.Actor.Type != "" && !actorTypes[r.Actor.Type]:
		return bad("actor.type", "%q is not one of employee, contractor, service, customer, unknown", r.Actor.Type)
	case r.Auth.Method != "" && !authMethods[r.Auth.Method]:
		return bad("auth.method", "%q is not one of password, mfa, otp, cert, token, key, none", r.Auth.Method)
	case r.Target.Kind != "" && !targetKinds[r.Target.Kind]:
		return bad("target.kind", "%q is not one of table, api, screen, file, host", r.Target.Kind)
	case r.Result.Status != "" && !statuses[r.Result.Status]:
		return bad("result.status", "%q is not one of ok, denied, error", r.Result.Status)
	case r.Result.Rows != nil && *r.Result.Rows < 0:
		return bad("result.rows", "must not be negative")
	case r.Result.Bytes != nil && *r.Result.Bytes < 0:
		return bad("result.bytes", "must not be negative")
	case r.SubjectCount < 0:
		return bad("subject_count", "must not be negative")
	case r.SubjectCount != 0 && r.SubjectCount < int64(len(r.Subjects)):
		return bad("subject_count", "%d is less than the %d subjects listed", r.SubjectCount, len(r.Subjects))
	}
	if r.Origin.IP != "" {
		if _, err := netip.ParseAddr(r.Origin.IP); err != nil {
			return bad("origin.ip", "%q is not an IPv4 or IPv6 address", r.Origin.IP)
		}
	}
	for i, s := range r.Subjects {
		if s == "" {
			return bad(fmt.Sprintf("subjects[%d]", i), "empty identifier")
		}
	}
	for k, v := range r.PII {
		if !PIITypes[k] {
			return bad("pii."+k, "unknown personal-information type (see pii-types.md)")
		}
		if v < 0 {
			return bad("pii."+k, "must not be negative")
		}
	}
	return nil
}

// Parse decodes one canonical JSON line into a record and validates it.
// Unknown fields are rejected with their name, so that a typo never drops
// data silently. The error is a *FieldError whenever a field can be named.
func Parse(line []byte) (Record, error) {
	var r Record
	if parseFast(line, &r) {
		return r, r.Validate()
	}
	r, err := parseStd(line)
	if err != nil {
		return r, err
	}
	return r, r.Validate()
}

// parseStd decodes line with encoding/json: the reference the fast path
// agrees with, and the source of every decoding error message.
func parseStd(line []byte) (Record, error) {
	var r Record
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, decodeError(err)
	}
	if dec.More() {
		return r, &FieldError{Field: "(line)", Reason: "more than one JSON value on the line"}
	}
	return r, nil
}

// decodeError turns encoding/json's errors into field errors.
func decodeError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "(line)"
		}
		return &FieldError{Field: field, Reason: fmt.Sprintf("expected %s, got JSON %s", te.Type, te.Value)}
	case errors.As(err, &se):
		return &FieldError{Field: "(line)", Reason: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)}
	}
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, `json: unknown field "`); ok {
		f = strings.TrimSuffix(f, `"`)
		return &FieldError{Field: f, Reason: "unknown field (free-form extras go under attrs)"}
	}
	if strings.Contains(msg, "parsing time") {
		return &FieldError{Field: "time", Reason: "not RFC 3339 with an offset: " + msg}
	}
	return &FieldError{Field: "(line)", Reason: strings.TrimPrefix(msg, "json: ")}
}

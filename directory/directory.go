// Package directory holds what detection needs to know about people, signing
// keys, devices and systems, imported from JSON lines as described in
// shared/schema/access-record.md ("The directory").
//
// A Directory is safe for concurrent use: lookups take a read lock, imports
// replace entries under a write lock, so it can be kept current while the
// pipeline runs.
package directory

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jikimi/jikimi/internal/fsutil"
)

// Person is a member of staff (or a service account) whose account id is
// the actor.id used in records.
type Person struct {
	ID         string    `json:"id"`
	Name       string    `json:"name,omitempty"`
	Dept       string    `json:"dept,omitempty"`
	Manager    string    `json:"manager,omitempty"`
	Status     string    `json:"status,omitempty"` // active (default), leave, departed
	DepartedAt time.Time `json:"departed_at,omitzero"`
	IPs        []string  `json:"ips,omitempty"` // assigned addresses or CIDRs
	Hosts      []string  `json:"hosts,omitempty"`
	Roles      []string  `json:"roles,omitempty"`
	WorkHours  string    `json:"work_hours,omitempty"` // e.g. "Mon-Fri 08:00-19:00"

	prefixes []netip.Prefix
	hours    WorkHours
}

// Key is a signing key for tokens or credentials.
type Key struct {
	ID        string    `json:"id"`
	Owner     string    `json:"owner,omitempty"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Device is a registered terminal, femtocell or handset.
type Device struct {
	ID    string   `json:"id"`
	Cert  string   `json:"cert,omitempty"`
	Owner string   `json:"owner,omitempty"`
	IPs   []string `json:"ips,omitempty"`

	prefixes []netip.Prefix
}

// System is a personal-information processing system.
type System struct {
	ID              string `json:"id"`
	Name            string `json:"name,omitempty"`
	Owner           string `json:"owner,omitempty"`
	Subjects        int64  `json:"subjects,omitempty"`
	Retention       string `json:"retention,omitempty"`        // e.g. "2y"
	ExpectedSilence string `json:"expected_silence,omitempty"` // e.g. "1h"
}

// Directory is the current set of people, keys, devices and systems.
type Directory struct {
	mu      sync.RWMutex
	people  map[string]*Person
	keys    map[string]*Key
	devices map[string]*Device
	certs   map[string][]*Device // by certificate fingerprint
	systems map[string]*System
}

// New returns an empty directory.
func New() *Directory {
	return &Directory{
		people:  map[string]*Person{},
		keys:    map[string]*Key{},
		devices: map[string]*Device{},
		certs:   map[string][]*Device{},
		systems: map[string]*System{},
	}
}

// LineError names the line of an import that could not be read.
type LineError struct {
	Source string
	Line   int
	Field  string
	Reason string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %s", e.Source, e.Line, e.Field, e.Reason)
}

// Import reads JSON lines of kinds person, key, device and system and adds or
// replaces the entries they name. It stops at the first bad line and applies
// nothing in that case, so a half-read file never leaves a half-updated
// directory. It returns the number of entries read.
func (d *Directory) Import(r io.Reader, source string) (int, error) {
	staged := New()
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	n, line := 0, 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		if err := staged.addLine(b); err != nil {
			err.Source, err.Line = source, line
			return 0, err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("read %s: %w", source, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, p := range staged.people {
		d.people[id] = p
	}
	for id, k := range staged.keys {
		d.keys[id] = k
	}
	for id, s := range staged.systems {
		d.systems[id] = s
	}
	for id, dev := range staged.devices {
		d.devices[id] = dev
	}
	d.reindexCerts()
	return n, nil
}

func (d *Directory) reindexCerts() {
	clear(d.certs)
	for _, dev := range d.devices {
		if dev.Cert != "" {
			d.certs[dev.Cert] = append(d.certs[dev.Cert], dev)
		}
	}
}

func (d *Directory) addLine(b []byte) *LineError {
	var head struct {
		Kind string `json:"kind"`
		ID   string `json:"id"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return &LineError{Field: "(line)", Reason: "invalid JSON: " + err.Error()}
	}
	if head.ID == "" {
		return &LineError{Field: "id", Reason: "required"}
	}
	decode := func(v any) *LineError {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			return &LineError{Field: head.Kind, Reason: strings.TrimPrefix(err.Error(), "json: ")}
		}
		return nil
	}
	switch head.Kind {
	case "person":
		var p struct {
			Kind string `json:"kind"`
			Person
		}
		if err := decode(&p); err != nil {
			return err
		}
		switch p.Status {
		case "", "active", "leave", "departed":
		default:
			return &LineError{Field: "status", Reason: fmt.Sprintf("%q is not one of active, leave, departed", p.Status)}
		}
		var err error
		if p.prefixes, err = parsePrefixes(p.IPs); err != nil {
			return &LineError{Field: "ips", Reason: err.Error()}
		}
		if p.hours, err = ParseWorkHours(p.WorkHours); err != nil {
			return &LineError{Field: "work_hours", Reason: err.Error()}
		}
		d.people[p.ID] = &p.Person
	case "key":
		var k struct {
			Kind string `json:"kind"`
			Key
		}
		if err := decode(&k); err != nil {
			return err
		}
		d.keys[k.ID] = &k.Key
	case "device":
		var dev struct {
			Kind string `json:"kind"`
			Device
		}
		if err := decode(&dev); err != nil {
			return err
		}
		var err error
		if dev.prefixes, err = parsePrefixes(dev.IPs); err != nil {
			return &LineError{Field: "ips", Reason: err.Error()}
		}
		d.devices[dev.ID] = &dev.Device
	case "system":
		var s struct {
			Kind string `json:"kind"`
			System
		}
		if err := decode(&s); err != nil {
			return err
		}
		for _, f := range []struct{ name, v string }{{"retention", s.Retention}, {"expected_silence", s.ExpectedSilence}} {
			if f.v == "" {
				continue
			}
			if _, err := ParseDuration(f.v); err != nil {
				return &LineError{Field: f.name, Reason: err.Error()}
			}
		}
		d.systems[s.ID] = &s.System
	case "":
		return &LineError{Field: "kind", Reason: "required (person, key, device or system)"}
	default:
		return &LineError{Field: "kind", Reason: fmt.Sprintf("%q is not one of person, key, device, system", head.Kind)}
	}
	return nil
}

func parsePrefixes(ss []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not an address or CIDR", s)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address or CIDR", s)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func containsAddr(ps []netip.Prefix, ip string) bool {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	a = a.Unmap()
	return slices.ContainsFunc(ps, func(p netip.Prefix) bool { return p.Contains(a) })
}

// Person returns the person with account id, or nil.
func (d *Directory) Person(id string) *Person {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.people[id]
}

// Key returns the signing key with id, or nil.
func (d *Directory) Key(id string) *Key {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.keys[id]
}

// Device returns the device with id, or nil.
func (d *Directory) Device(id string) *Device {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.devices[id]
}

// DevicesWithCert returns the devices registered with a certificate
// fingerprint. More than one means the certificate is shared.
func (d *Directory) DevicesWithCert(cert string) []*Device {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.certs[cert]
}

// System returns the system with id, or nil.
func (d *Directory) System(id string) *System {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.systems[id]
}

// OwnerOfAddress returns the active person to whom ip is assigned, or nil.
// Used to tell "an account used from another person's assigned address".
func (d *Directory) OwnerOfAddress(ip string) *Person {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for _, p := range d.people {
		if p.Status != "departed" && containsAddr(p.prefixes, ip) {
			return p
		}
	}
	return nil
}

// People, Keys, Devices and Systems return the entries sorted by id.
func (d *Directory) People() []*Person  { return sortedValues(d, d.people) }
func (d *Directory) Keys() []*Key       { return sortedValues(d, d.keys) }
func (d *Directory) Devices() []*Device { return sortedValues(d, d.devices) }
func (d *Directory) Systems() []*System { return sortedValues(d, d.systems) }

func sortedValues[V any](d *Directory, m map[string]*V) []*V {
	d.mu.RLock()
	defer d.mu.RUnlock()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]*V, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// Assigned reports whether ip is one of the person's assigned addresses.
func (p *Person) Assigned(ip string) bool { return containsAddr(p.prefixes, ip) }

// HasAssignedAddresses reports whether the person has any assigned address.
func (p *Person) HasAssignedAddresses() bool { return len(p.prefixes) > 0 }

// Departed reports whether the person had left at time t.
func (p *Person) Departed(t time.Time) bool {
	if p.Status != "departed" {
		return false
	}
	return p.DepartedAt.IsZero() || !t.Before(p.DepartedAt)
}

// Working reports whether t falls within the person's working hours. A
// person without declared hours is taken to work at any time.
func (p *Person) Working(t time.Time) bool { return p.hours.Contains(t) }

// HasWorkHours reports whether working hours were declared.
func (p *Person) HasWorkHours() bool { return p.hours.set }

// Allowed reports whether the device may connect from ip. A device with no
// registered addresses may connect from anywhere.
func (dev *Device) Allowed(ip string) bool {
	return len(dev.prefixes) == 0 || containsAddr(dev.prefixes, ip)
}

// Revoked reports whether the key was revoked at time t.
func (k *Key) Revoked(t time.Time) bool { return !k.RevokedAt.IsZero() && !t.Before(k.RevokedAt) }

// File is the name of the directory's file in a data directory.
const File = "directory.jsonl"

// Load reads the directory saved in dataDir; a missing file is an empty
// directory.
func Load(dataDir string) (*Directory, error) {
	d := New()
	f, err := os.Open(filepath.Join(dataDir, File))
	if os.IsNotExist(err) {
		return d, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	if _, err := d.Import(f, f.Name()); err != nil {
		return nil, err
	}
	return d, nil
}

// Save writes the whole directory to dataDir atomically (write, sync, rename).
func (d *Directory) Save(dataDir string) error {
	var buf bytes.Buffer
	write := func(kind string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		buf.WriteString(`{"kind":"` + kind + `",`)
		buf.Write(b[1:])
		buf.WriteByte('\n')
		return nil
	}
	for _, p := range d.People() {
		if err := write("person", p); err != nil {
			return err
		}
	}
	for _, k := range d.Keys() {
		if err := write("key", k); err != nil {
			return err
		}
	}
	for _, dev := range d.Devices() {
		if err := write("device", dev); err != nil {
			return err
		}
	}
	for _, s := range d.Systems() {
		if err := write("system", s); err != nil {
			return err
		}
	}
	return fsutil.WriteFileAtomic(filepath.Join(dataDir, File), buf.Bytes(), 0o600)
}

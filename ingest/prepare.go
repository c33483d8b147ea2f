package ingest

import (
	"bytes"

	"github.com/jikimi/jikimi/record"
	"github.com/jikimi/jikimi/store"
	"github.com/jikimi/jikimi/subject"
)

// invalidUTF8 is how canonical bytes write a byte that is not UTF-8 (and
// nearly nothing else: a literal backslash would be doubled first).
var invalidUTF8 = []byte(`\ufffd`)

// Preparer does the per-record work of the pipeline. It is not safe for
// concurrent use: give each goroutine its own (NewPreparer is cheap).
type Preparer struct {
	cfg   *Config
	keyer *subject.Keyer
	buf   []byte
}

// NewPreparer returns a Preparer for the pipeline.
func (p *Pipeline) NewPreparer() *Preparer {
	return &Preparer{cfg: &p.cfg, keyer: p.cfg.Keyer.Clone()}
}

// Prepare validates and normalises rec in place and returns it ready for
// Submit. The error is a *record.FieldError when the record is invalid.
//
// Normalising means: the id derived when absent (from the record as
// received, so the same line always gets the same id); actor name and
// department filled from the directory when the source left them out;
// PII counted from the payload and the payload dropped; detail masked;
// subject identifiers replaced by keyed pseudonyms. The canonical bytes of
// the result are what is stored and sealed.
func (pr *Preparer) Prepare(rec *record.Record) (*Prepared, error) {
	if err := rec.Validate(); err != nil {
		return nil, err
	}
	rec.DeriveID()
	if d := pr.cfg.Directory; d != nil && (rec.Actor.Name == "" || rec.Actor.Dept == "") {
		if person := d.Person(rec.Actor.ID); person != nil {
			if rec.Actor.Name == "" {
				rec.Actor.Name = person.Name
			}
			if rec.Actor.Dept == "" {
				rec.Actor.Dept = person.Dept
			}
		}
	}
	if pr.cfg.PII != nil {
		pr.cfg.PII(rec)
	}
	rec.Payload = "" // never stored, whether or not it was counted

	var refs []store.SubjectRef
	if len(rec.Subjects) > 0 {
		refs = make([]store.SubjectRef, len(rec.Subjects))
		if int64(len(rec.Subjects)) > rec.SubjectCount {
			rec.SubjectCount = int64(len(rec.Subjects))
		}
		for i, id := range rec.Subjects {
			ps := pr.keyer.Of(id)
			refs[i] = store.SubjectRef{Pseudonym: ps, Sealed: pr.keyer.Seal(ps, id)}
			rec.Subjects[i] = ps.String()
		}
	}
	pr.buf = rec.AppendCanonical(pr.buf[:0])
	if bytes.Contains(pr.buf, invalidUTF8) {
		// Bytes that are not UTF-8 were sealed as U+FFFD: read the record
		// back so that what is indexed and detected is what is sealed.
		back, err := record.Parse(pr.buf)
		if err != nil {
			return nil, err
		}
		*rec = back
	}
	canon := make([]byte, len(pr.buf))
	copy(canon, pr.buf)
	e := store.EntryOf(rec)
	e.Subjects, e.Canonical, e.Period = refs, canon, pr.cfg.Period(rec.Time)
	return &Prepared{Record: rec, Hash: record.HashOf(canon), Entry: e}, nil
}

// Package breach answers the questions a breach starts a clock on: who was
// affected, what must be reported, to whom and by when (issue 7).
//
// # Impact
//
// Impact takes a Scope — any combination of actor, source address, signing
// key id, device, session, system and time window, or the evidence records
// of an alert — and returns the records involved and the distinct data
// subjects affected, by system, by type of personal information and by day.
// Subjects are the union of the records' roaring subject bitmaps, so "every
// customer actor X touched in five months" costs one pass over X's records.
// Records whose source listed fewer subjects than it processed (bulk
// exports with a truncated subject list) are counted by their
// subject_count and named in NeedsEnumeration: only the source system can
// say who they were.
//
// # Incidents and duties
//
// Open records an incident with the time the organisation became aware of
// it and decides the duties it sets running (Duties):
//
//   - notify the data subjects within 72 hours — always (개인정보 보호법
//     제34조제1항, 시행령 제40조제1항);
//   - report to the PIPC or KISA within 72 hours — when 1,000 or more
//     subjects, unique identifying information (rrn, frn, passport,
//     driver_license) or outside unauthorised access are involved (법
//     제34조제3항, 시행령 제39조제1항);
//   - report an intrusion to the MSIT or KISA within 24 hours
//     (정보통신망법 제48조의3제1항).
//
// Deadlines run from the time of awareness, not from when jikimi was told.
//
// # Legal hold
//
// Storing an incident places a Hold on the records of its scope. Retention
// asks Covered(hold, record) for every hold before deleting a record;
// a record it cannot read is kept.
//
// # Notification list
//
// Notifier.Notify re-identifies the affected subjects. It refuses without a
// stated reason and a privacy officer (NotifyRoles), and records the
// re-identification as an access record of system "jikimi" through the
// ingest pipeline before it returns a single identifier.
//
// # Notices
//
// NewNoticeData fills the Korean notice to data subjects (the five items of
// 법 제34조제1항 and the person's rights) or the report to the regulator;
// Text, HTML (printable) and PDF (headless Chromium) render it. What the
// records cannot know — the organisation's name, how it happened, what it
// did, whom to call — comes from the incident's Notice and is marked
// "[작성 필요]" until written.
//
// Package breach reads and writes through the interfaces Store, SealedSource
// and IncidentStore, which store/sqlite implements; it never imports a
// driver.
package breach

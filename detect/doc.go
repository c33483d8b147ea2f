// Package detect is jikimi's streaming detection engine: it runs rules
// written in YAML over access records as they are ingested and reports
// alerts (package alert) that say who did what, when, how much and compared
// with what.
//
// # Event time
//
// Every window, baseline, deadline and "night" is computed from the
// records' own times, never the wall clock, so ingesting a month of history
// gives the same alerts, with the same ids, as streaming it live. Working
// hours, night (22:00–06:00) and public holidays are judged in Korea time
// (UTC+9) whatever offset a record carries.
//
// Records may arrive out of order by up to Options.Lateness (5 minutes by
// default): the engine holds each record until the latest event time seen
// is Lateness past it and evaluates held records in time order. Alerts are
// therefore reported up to Lateness after their evidence, in event time.
// A record later than that is evaluated at once, out of order. "Now", for
// absence, is the latest event time evaluated; Advance moves it without a
// record (for a live source that has gone quiet) and Flush, at the end of
// the input, evaluates everything held and judges absence at the latest
// event time.
//
// # Use
//
//	rules, err := detect.LoadRules(userDir) // built-ins plus userDir/*.yml
//	e, err := detect.New(rules, detect.Options{Directory: dir, Watchlist: wl})
//	for each record: e.Process(rec, emit) // emit(*alert.Alert) per alert created or changed
//	e.Flush(emit)
//
// An Engine is not safe for concurrent use. An alert keeps its id while
// findings merge into it: the same rule and entity within the rule's merge
// window update the same alert, so a store upserts by id. Ids are derived
// from the rule, the entity and the time of the first evidence. A changed
// alert is emitted again at most once per Options.Reemit of event time (a
// minute by default); the last state is always emitted by a later sweep or
// by Flush.
//
// # Memory
//
// State is kept per rule and entity (the rule's group-by values). An
// entity idle longer than its rule needs (window, look-back, baseline
// history) is forgotten; match rules keep no state but their open alerts,
// which are let go after the merge window. Options.MaxEntities caps the
// entity states together, forgetting the least recently active first.
// Windows hold at most 65,536 entries, new-value sets 64 values, baselines
// history × slots numbers; sessions and customer identities live in two
// generations of a day (ninety days for identities). Engine.Stats counts
// what is held; BenchmarkEngine reports state bytes per entity.
//
// # Rules
//
// Rules follow Sigma (https://sigmahq.io) where Sigma can say it: title,
// id, name, description, level (low, medium, high, critical;
// informational reads as low), logsource {product: jikimi}, detection
// with named selections and a condition, and correlation for thresholds
// and sequences. A file may hold several rules separated by "---". A user
// rule with the id of a built-in replaces it. A rule with an error is
// refused at load with its file, line and reason (*RuleError).
//
// A selection is a map whose lines must all hold, or a list of maps of
// which one must. A line is "field|modifier: value" or a list of values
// (any may match; |all: every one). Strings compare case-insensitively;
// "*" and "?" are wildcards; null matches a missing field. Modifiers:
// contains, startswith, endswith, re (Go regular expression; |re|i,
// |re|m, |re|s set its flags), cidr, gt, gte, lt, lte, exists. Sigma's
// |cased, |base64, |windash and the other encoding modifiers are refused.
// A condition combines selections with and, or, not, parentheses,
// "1 of sel_*", "all of sel_*" and "1 of them".
//
// Level is a promise about people's time: low is a review item that pages
// nobody (after-hours work at normal volume); medium and above must be
// acted on now, and the false-alert budget applies to them.
//
// # Kinds
//
//	match        detection alone: every matching record is a finding.
//	threshold    Sigma correlation event_count (records), value_count
//	             (distinct values of condition.field) or value_sum (a jikimi
//	             extension: the sum of a numeric field) over a sliding
//	             window of timespan, per group-by, with condition gte, gt
//	             or eq.
//	sequence     Sigma correlation temporal_ordered: the referenced rules
//	             fire in order for the same group-by within timespan.
//	new_value    jikimi.kind new_value: jikimi.field takes a value not seen
//	             for the group-by within jikimi.lookback (30d); nothing is
//	             reported during jikimi.learn (7d) after the first record.
//	baseline     jikimi.kind baseline: jikimi.field summed (or records
//	             counted) per group-by in buckets of 1h or 1d, alerting when
//	             the bucket passes max(median + k·1.4826·MAD, factor·median,
//	             min_value) of the entity's own last `history` buckets of
//	             the same season slot (none, day_of_week, hour_of_week) and,
//	             with jikimi.peer, of its peer group's; an entity with less
//	             than min_history buckets is judged by its peers alone.
//	absence      jikimi.kind absence: a system silent for longer than its
//	             directory expected_silence (or jikimi.silence).
//	sessionless  jikimi.kind sessionless: detection plus "a session that
//	             never logged in to the system, or an identity that does
//	             not exist" (not in the directory and, for customers, never
//	             logged in).
//
// Where jikimi goes beyond Sigma: value_sum; a correlation may carry its
// own detection block instead of rules: (a base rule inline); the jikimi:
// block (kind, title_ko, description_ko, group-by and merge for
// non-correlation rules, and each kind's parameters); the derived fields
// below. As in Sigma, rules referenced by a correlation do not alert on
// their own unless the correlation says generate: true (Rule.Silent). Correlation
// aliases, the unordered temporal type and keyword selections are not
// supported and are refused.
//
// # Fields
//
// Fields are named by their path in the access record
// (shared/schema/access-record.md):
//
//	id                 record id
//	system             system accessed
//	actor.id           account
//	actor.type         employee, contractor, service, customer, unknown (default employee)
//	actor.name         display name (directory name when the record has none)
//	actor.dept         department (directory's when the record has none)
//	action             work performed
//	origin.ip          source address
//	origin.host        host name
//	origin.device      device id
//	origin.cert        certificate fingerprint
//	origin.user_agent  client software
//	auth.method        authentication method
//	auth.session       session id
//	auth.key_id        signing key id
//	auth.external      access from outside (bool)
//	target.object      object touched
//	target.kind        table, api, screen, file, host
//	detail             query, URL or command (masked)
//	purpose            stated reason
//	result.status      ok (default), denied, error
//	result.rows        rows (missing when unknown)
//	result.bytes       bytes (missing when unknown)
//	subjects           data subjects (pseudonyms; list)
//	subject_count      number of data subjects processed
//	pii.TYPE           count of a PII type, e.g. pii.rrn
//	attrs.NAME         free-form extra
//
// Derived by jikimi from the directory, its own state and the calendar:
//
//	actor.known          the directory knows the account (bool)
//	actor.status         active, leave, departed (directory)
//	actor.departed       the account's person had left at the record's time (bool)
//	actor.on_leave       the person is on leave: a dormant account (bool)
//	actor.roles          the person's roles (list)
//	actor.working_hours  within the person's declared working hours, not on a public holiday (bool; true when no hours are declared)
//	actor.assigned_ip    origin.ip is one of the person's assigned addresses (bool; missing when none are assigned)
//	actor.assigned_host  origin.host is one of the person's hosts (bool; missing when none are listed)
//	origin.owner         the other active person whose assigned address origin.ip is (id)
//	origin.owner_name    that person's name
//	origin.foreign       origin.ip is assigned to another person than the actor (bool)
//	key.known            auth.key_id is in the directory (bool)
//	key.owner            custodian of the signing key
//	key.owner_departed   the key's custodian had left (bool)
//	key.revoked          the key was revoked at the record's time (bool)
//	device.registered    origin.device is in the directory (bool)
//	device.allowed_ip    origin.ip is among the device's registered addresses (bool)
//	device.cert_shared   origin.cert is registered to more than one device (bool)
//	device.cert_match    origin.cert is the certificate registered for origin.device (bool)
//	session.logged_in    auth.session appeared in a successful login of the same system (bool; missing without a session)
//	identity.known       the actor exists: in the directory, or (customers) logged in to the system (bool)
//	time.night           22:00–06:00 Korea time (bool)
//	time.holiday         a Korean public holiday (bool)
//	time.weekend         Saturday or Sunday in Korea (bool)
//	time.hour            hour of day in Korea (0–23)
//	time.weekday         mon … sun in Korea
//	subject.watchlisted  a subject is on the watch list (bool)
//	subject.watch_label  label of the first watch-listed subject
//
// Korean public holidays, with lunar and substitute holidays, are built in
// for 2011–2030 (KoreanHoliday); Options.Holidays replaces them.
//
// # Example
//
// A DBA account used from an address the directory assigns to somebody
// else:
//
//	title: Privileged account used from another person's assigned address
//	id: privileged-foreign-address
//	level: high
//	logsource: {product: jikimi}
//	detection:
//	  privileged:
//	    actor.roles: [dba, admin, sysadmin]
//	  foreign:
//	    origin.foreign: true
//	  condition: privileged and foreign
//	jikimi:
//	  title_ko: 특권 계정이 다른 직원에게 배정된 주소에서 사용됨
//	  group-by: [actor.id]
//	  merge: 12h
//
// and a threshold as a Sigma correlation:
//
//	title: Many distinct customers read from one address
//	id: many-customers-per-address
//	level: high
//	detection:
//	  customer_reads:
//	    actor.type: customer
//	    action: [view, search]
//	  condition: customer_reads
//	correlation:
//	  type: value_count
//	  group-by: [origin.ip]
//	  timespan: 1h
//	  condition: {field: subjects, gte: 100}
//
// The built-in rules are in rules/*.yml beside this file: one or more for
// each incident of DESIGN.md and the common misuse scenarios; each is
// tested against the replay of its scenario and the normal month from
// package scenario.
//
// # Forwarding
//
// Forwarder sends alerts to a webhook (HTTP POST of a JSON array, retried
// with backoff on network errors, 429 and 5xx) and to syslog (RFC 5424 over
// UDP or TCP with octet-counting framing).
package detect

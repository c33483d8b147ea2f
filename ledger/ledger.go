package ledger

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jikimi/jikimi/record"
)

// Defaults applied by Open; each names the Options field that overrides it.
const (
	// DefaultHashesPerLeaf is Options.HashesPerLeaf: 256 record hashes make
	// an 8 KiB leaf, and a full entry bundle (256 leaves) seals 65,536
	// records with one round of fsyncs.
	DefaultHashesPerLeaf = 256
	// MaxHashesPerLeaf keeps a leaf under the 64 KiB entry limit of C2SP
	// tlog-tiles and within Position.Slot.
	MaxHashesPerLeaf = 2047
	// DefaultCheckpointInterval is Options.CheckpointInterval: how often
	// Tessera publishes a new checkpoint while a period grows.
	DefaultCheckpointInterval = time.Second
	// DefaultAnchorInterval is Options.AnchorInterval: how often the latest
	// checkpoint of a growing period is anchored (and at Close).
	DefaultAnchorInterval = time.Minute
	// DefaultKeyOverlap is Options.KeyOverlap: how long after RotateKey the
	// previous key still co-signs checkpoints.
	DefaultKeyOverlap = 30 * 24 * time.Hour
	// DefaultBatchMaxAge is Options.BatchMaxAge: Tessera's batching delay.
	// Seal already submits whole groups of leaves, so it is kept short.
	DefaultBatchMaxAge = 2 * time.Millisecond
	// batchMaxLeaves is Tessera's batch size limit (leaves per integration).
	batchMaxLeaves = 4096
	// sealsInFlight is how many groups of leaves one period may have in
	// Tessera at once; Seal calls arriving meanwhile are grouped together.
	sealsInFlight = 2
)

// Errors.
var (
	ErrClosed       = errors.New("ledger: closed")
	ErrReadOnly     = errors.New("ledger: opened read-only")
	ErrBadPeriod    = errors.New("ledger: bad period name")
	ErrBadKey       = errors.New("ledger: malformed public key")
	ErrNoCheckpoint = errors.New("ledger: no checkpoint published yet")
	ErrNotSealed    = errors.New("ledger: record is not sealed at that position")
)

// Korea Standard Time has no daylight saving.
var kst = time.FixedZone("KST", 9*60*60)

// PeriodOf returns the period (one log per period) that a record of time t
// belongs to: its month "2006-01" in Korea time (UTC+9).
func PeriodOf(t time.Time) string {
	y, m, _ := t.In(kst).Date()
	// Every record asks; nearly all ask for the month the last one did.
	if p := lastPeriod.Load(); p != nil && p.year == y && p.month == m {
		return p.name
	}
	p := &periodName{y, m, fmt.Sprintf("%04d-%02d", y, m)}
	lastPeriod.Store(p)
	return p.name
}

type periodName struct {
	year  int
	month time.Month
	name  string
}

var lastPeriod atomic.Pointer[periodName]

var periodRE = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,63}$`)

func checkPeriod(p string) error {
	if !periodRE.MatchString(p) {
		return fmt.Errorf("%w: %q", ErrBadPeriod, p)
	}
	return nil
}

// Options configure a Ledger. Dir and KeyDir are required; every other zero
// value means its default.
type Options struct {
	// Dir holds one Tessera POSIX log per period, e.g. <Dir>/2026-07/.
	Dir string
	// KeyDir holds the Ed25519 signing keys: created on first Open, private
	// key files mode 0600, every historical key kept.
	KeyDir string
	// AnchorDir, when set, is a DirAnchor for every anchored checkpoint and
	// public key. Anchor takes precedence when both are set.
	AnchorDir string
	Anchor    Anchor
	// Origin is the log name prefix; a period's log origin is
	// Origin + "/" + period. Default "jikimi/<hostname>".
	Origin string
	// HashesPerLeaf is how many record hashes one leaf carries at most
	// (default DefaultHashesPerLeaf, at most MaxHashesPerLeaf).
	HashesPerLeaf int
	// CheckpointInterval, AnchorInterval, KeyOverlap, BatchMaxAge: see the
	// Default constants.
	CheckpointInterval time.Duration
	AnchorInterval     time.Duration
	KeyOverlap         time.Duration
	BatchMaxAge        time.Duration
	// ReadOnly opens the ledger for Checkpoint, Proof and verification
	// only: no key is created, nothing is written, Seal and RotateKey fail.
	ReadOnly bool
	// Logger receives warnings from background anchoring; default slog.Default().
	Logger *slog.Logger
}

// LogValue logs the effective options as one group.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("dir", o.Dir), slog.String("key_dir", o.KeyDir),
		slog.String("anchor_dir", o.AnchorDir), slog.String("origin", o.Origin),
		slog.Int("hashes_per_leaf", o.HashesPerLeaf),
		slog.Duration("checkpoint_interval", o.CheckpointInterval),
		slog.Duration("anchor_interval", o.AnchorInterval),
		slog.Duration("key_overlap", o.KeyOverlap))
}

func (o *Options) setDefaults() error {
	if o.Dir == "" || o.KeyDir == "" {
		return errors.New("ledger: Options.Dir and Options.KeyDir are required")
	}
	if o.Origin == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "localhost"
		}
		o.Origin = "jikimi/" + h
	}
	if strings.ContainsAny(o.Origin, "+ \t\n") {
		return fmt.Errorf("ledger: Options.Origin %q: no spaces or '+'", o.Origin)
	}
	if o.HashesPerLeaf == 0 {
		o.HashesPerLeaf = DefaultHashesPerLeaf
	}
	if o.HashesPerLeaf < 1 || o.HashesPerLeaf > MaxHashesPerLeaf {
		return fmt.Errorf("ledger: Options.HashesPerLeaf=%d, want 1..%d", o.HashesPerLeaf, MaxHashesPerLeaf)
	}
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = DefaultCheckpointInterval
	}
	if o.CheckpointInterval < 100*time.Millisecond {
		return fmt.Errorf("ledger: Options.CheckpointInterval=%v, want ≥ 100ms (Tessera's minimum)", o.CheckpointInterval)
	}
	if o.AnchorInterval == 0 {
		o.AnchorInterval = DefaultAnchorInterval
	}
	if o.KeyOverlap == 0 {
		o.KeyOverlap = DefaultKeyOverlap
	}
	if o.BatchMaxAge == 0 {
		o.BatchMaxAge = DefaultBatchMaxAge
	}
	if o.Anchor == nil && o.AnchorDir != "" {
		o.Anchor = DirAnchor{Dir: o.AnchorDir}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// Ledger seals record hashes into one Tessera log per period. All methods
// are safe for concurrent use.
type Ledger struct {
	o Options

	// mu is held for reading by every Seal for its whole duration, and for
	// writing by RotateKey and Close, which restart or stop the period logs.
	mu     sync.RWMutex
	keys   []*signingKey // oldest first; guarded by mu
	closed bool          // guarded by mu

	logsMu sync.Mutex
	logs   map[string]*periodLog // guarded by logsMu
}

// Position is where a record hash is sealed: slot Slot of leaf Leaf of the
// log of Period. The store keeps it beside the record.
type Position struct {
	Period string `json:"period"`
	Leaf   uint64 `json:"leaf"`
	Slot   uint16 `json:"slot"`
}

func (p Position) String() string { return fmt.Sprintf("%s/%d/%d", p.Period, p.Leaf, p.Slot) }

// Open opens (creating on first use) the ledger in o.Dir. On first Open it
// creates the signing key and prints nothing: callers show PublicKeys.
func Open(ctx context.Context, o Options) (*Ledger, error) {
	if err := o.setDefaults(); err != nil {
		return nil, err
	}
	keys, err := loadKeys(o.KeyDir)
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if o.ReadOnly {
		return &Ledger{o: o, keys: keys, logs: map[string]*periodLog{}}, nil
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	if len(keys) == 0 {
		k, err := newKey(o.KeyDir, o.Origin, 1, time.Now())
		if err != nil {
			return nil, fmt.Errorf("ledger: %w", err)
		}
		keys = []*signingKey{k}
	}
	l := &Ledger{o: o, keys: keys, logs: map[string]*periodLog{}}
	if err := l.anchorKeys(ctx); err != nil {
		return nil, err
	}
	// A crash can leave a period integrated beyond its last checkpoint:
	// reopen those so a checkpoint committing to every sealed leaf is
	// published and anchored.
	periods, err := l.localPeriods()
	if err != nil {
		return nil, err
	}
	for _, p := range periods {
		dir := filepath.Join(o.Dir, p)
		integrated, _, err := readTreeState(dir)
		if err != nil {
			continue
		}
		if cp, err := readCheckpointFile(dir); err == nil && cp.Size >= integrated {
			continue
		}
		if _, err := l.log(p); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// anchorKeys puts every public key into the anchor, once.
func (l *Ledger) anchorKeys(ctx context.Context) error {
	if l.o.Anchor == nil {
		return nil
	}
	for _, k := range l.keys {
		pk := PublicKey{Name: l.o.Origin, Key: k.pub}
		err := l.o.Anchor.Put(ctx, anchorKeyName(k.seq, keyHash(l.o.Origin, k.pub)), []byte(pk.String()+"\n"))
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("ledger: anchor key: %w", err)
		}
	}
	return nil
}

// PublicKeys returns every public key the ledger has ever signed with,
// oldest first, as note verifier strings named Options.Origin.
func (l *Ledger) PublicKeys() []string {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := make([]string, len(l.keys))
	for i, k := range l.keys {
		out[i] = PublicKey{Name: l.o.Origin, Key: k.pub}.String()
	}
	return out
}

// Origin returns the log origin of period.
func (l *Ledger) Origin(period string) string { return l.o.Origin + "/" + period }

// signers returns the primary signer (newest key) and the keys still in
// their overlap: a key co-signs until KeyOverlap after its successor was
// created. Must be called with mu held.
func (l *Ledger) signers(origin string, now time.Time) (*edSigner, []*edSigner) {
	n := len(l.keys)
	primary := newSigner(origin, l.keys[n-1])
	var extra []*edSigner
	for i := n - 2; i >= 0; i-- {
		if now.Sub(l.keys[i+1].created) >= l.o.KeyOverlap || l.keys[i].priv == nil {
			break
		}
		extra = append(extra, newSigner(origin, l.keys[i]))
	}
	return primary, extra
}

func (l *Ledger) ownPublicKeys() []ed25519.PublicKey {
	pubs := make([]ed25519.PublicKey, len(l.keys))
	for i, k := range l.keys {
		pubs[i] = k.pub
	}
	return pubs
}

// RotateKey creates a new signing key. From now on checkpoints are signed by
// the new key and, during KeyOverlap, by the previous one too. The new
// public key is anchored; every old one stays in KeyDir and PublicKeys.
func (l *Ledger) RotateKey() error {
	ctx := context.Background()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if l.o.ReadOnly {
		return ErrReadOnly
	}
	k, err := newKey(l.o.KeyDir, l.o.Origin, l.keys[len(l.keys)-1].seq+1, time.Now())
	if err != nil {
		return fmt.Errorf("ledger: rotate key: %w", err)
	}
	l.keys = append(l.keys, k)
	if err := l.anchorKeys(ctx); err != nil {
		return err
	}
	// Tessera fixes the signers when an appender starts: restart each open
	// period log. No Seal is running (mu is held for writing).
	l.logsMu.Lock()
	defer l.logsMu.Unlock()
	for p, pl := range l.logs {
		if err := pl.close(ctx); err != nil {
			return fmt.Errorf("ledger: rotate key: %s: %w", p, err)
		}
		npl, err := l.openPeriod(p)
		if err != nil {
			delete(l.logs, p)
			return fmt.Errorf("ledger: rotate key: %s: %w", p, err)
		}
		l.logs[p] = npl
	}
	return nil
}

// log returns the open log of period, opening it on first use.
func (l *Ledger) log(period string) (*periodLog, error) {
	if err := checkPeriod(period); err != nil {
		return nil, err
	}
	l.logsMu.Lock()
	defer l.logsMu.Unlock()
	if pl := l.logs[period]; pl != nil {
		return pl, nil
	}
	pl, err := l.openPeriod(period)
	if err != nil {
		return nil, err
	}
	l.logs[period] = pl
	return pl, nil
}

// Seal durably appends hashes, which must all belong to period, and returns
// the Position of each hash. It MUST NOT return success before every leaf
// holding one of the hashes is durably sequenced and integrated (its Tessera
// future resolved): a record acknowledged to a sender is durable in the
// ledger too. Concurrent Seal calls of one period share leaves.
//
// If ctx ends first, Seal returns its error; the hashes may still be sealed.
func (l *Ledger) Seal(ctx context.Context, period string, hashes []record.Hash) ([]Position, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return nil, ErrClosed
	}
	if l.o.ReadOnly {
		return nil, ErrReadOnly
	}
	if len(hashes) == 0 {
		return nil, nil
	}
	pl, err := l.log(period)
	if err != nil {
		return nil, err
	}
	return pl.seal(ctx, hashes)
}

// Close publishes and anchors a final checkpoint for every open period and
// stops them. It runs every step and returns the first failure.
func (l *Ledger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	l.logsMu.Lock()
	defer l.logsMu.Unlock()
	var first error
	for _, pl := range l.logs {
		if err := pl.close(context.Background()); err != nil && first == nil {
			first = err
		}
	}
	l.logs = nil
	return first
}

// localPeriods lists the period logs in Dir.
func (l *Ledger) localPeriods() ([]string, error) {
	ents, err := os.ReadDir(l.o.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && periodRE.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Periods returns every period that has a log in Dir or an anchored
// checkpoint, sorted. A period present only in the anchor was removed from
// the data directory; verifying it reports the loss.
func (l *Ledger) Periods() ([]string, error) {
	ps, err := l.localPeriods()
	if err != nil {
		return nil, err
	}
	if l.o.Anchor != nil {
		names, err := l.o.Anchor.List(context.Background(), "checkpoint/")
		if err != nil {
			return nil, fmt.Errorf("ledger: list anchors: %w", err)
		}
		for _, n := range names {
			parts := strings.Split(n, "/")
			if len(parts) == 3 && periodRE.MatchString(parts[1]) {
				ps = append(ps, parts[1])
			}
		}
	}
	slices.Sort(ps)
	return slices.Compact(ps), nil
}

// Checkpoint returns the latest published checkpoint of period after
// checking its signature against the ledger's keys: the signed note, the
// tree size in leaves and the root hash.
func (l *Ledger) Checkpoint(ctx context.Context, period string) (signed []byte, size uint64, root []byte, err error) {
	if err := checkPeriod(period); err != nil {
		return nil, 0, nil, err
	}
	raw, err := os.ReadFile(filepath.Join(l.o.Dir, period, "checkpoint"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, nil, fmt.Errorf("%w: %s", ErrNoCheckpoint, period)
	}
	if err != nil {
		return nil, 0, nil, fmt.Errorf("ledger: %w", err)
	}
	l.mu.RLock()
	pubs := l.ownPublicKeys()
	l.mu.RUnlock()
	cp, err := openCheckpoint(raw, l.Origin(period), pubs)
	if err != nil {
		return nil, 0, nil, err
	}
	return raw, cp.Size, cp.Root, nil
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/detect"
	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/ingest"
	"github.com/jikimi/jikimi/ledger"
	"github.com/jikimi/jikimi/store/sqlite"
	"github.com/jikimi/jikimi/subject"
)

// defaultDataDir is used when neither --data nor $JIKIMI_DATA is given.
const defaultDataDir = "./jikimi-data"

// dataFlag adds --data to fs and returns where its value lands.
func dataFlag(fs *flag.FlagSet) *string {
	def := os.Getenv("JIKIMI_DATA")
	if def == "" {
		def = defaultDataDir
	}
	return fs.String("data", def, "data directory (default $JIKIMI_DATA or "+defaultDataDir+")")
}

// app is an open data directory.
type app struct {
	dataDir   string
	anchorDir string // as given; "" means DATA/anchors
	store     *sqlite.DB
	keyer     *subject.Keyer
	dir       *directory.Directory
	pipe      *ingest.Pipeline // nil unless opened with withPipeline
	rules     []*detect.Rule   // the rules in force, with the pipeline
	ledger    *ledger.Ledger   // with the pipeline
	// stopForwarder drains alert forwarding, when configured.
	stopForwarder func() error
	logger        *slog.Logger
}

type appOptions struct {
	withPipeline bool
	create       bool          // create the data directory if missing
	rules        string        // folder of user rules, besides the built-in ones
	anchorDir    string        // where checkpoints are anchored ("" = DATA/anchors)
	anchorEvery  time.Duration // ledger.Options.AnchorInterval; 0: its default
	forward      detect.ForwardConfig
	reemit       time.Duration // detect.Options.Reemit; 0: its default
}

// kst is Korea Standard Time, in which periods and working hours are read.
var kst = time.FixedZone("KST", 9*3600)

func openApp(ctx context.Context, e *env, dataDir string, o appOptions) (*app, error) {
	if _, err := os.Stat(dataDir); errors.Is(err, os.ErrNotExist) {
		if !o.create {
			return nil, fmt.Errorf("no data directory at %s (run 'jikimi ingest' or 'jikimi serve' first, or pass --data)", dataDir)
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, err
		}
	}
	a := &app{dataDir: dataDir, anchorDir: o.anchorDir, logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	var err error
	if a.keyer, err = subject.LoadKey(dataDir); err != nil {
		return nil, err
	}
	if a.dir, err = directory.Load(dataDir); err != nil {
		return nil, fmt.Errorf("load directory: %w", err)
	}
	if a.store, err = sqlite.Open(ctx, dataDir); err != nil {
		return nil, err
	}
	if o.withPipeline {
		if err := a.startPipeline(ctx, o); err != nil {
			a.Close()
			return nil, err
		}
	}
	return a, nil
}

// startPipeline loads the rules and the watch list and starts ingest.
func (a *app) startPipeline(ctx context.Context, o appOptions) error {
	rules, err := detect.LoadRules(o.rules)
	if err != nil {
		return err
	}
	watch, err := loadWatchlist(a.dataDir, a.keyer)
	if err != nil {
		return err
	}
	engine, err := detect.New(rules, detect.Options{Directory: a.dir, Watchlist: watch, Reemit: o.reemit})
	if err != nil {
		return err
	}
	a.rules = engine.Rules()
	lo, err := ledgerOptions(a.dataDir, o.anchorDir, false)
	if err != nil {
		return err
	}
	lo.Logger, lo.AnchorInterval = a.logger, o.anchorEvery
	if a.ledger, err = ledger.Open(ctx, lo); err != nil {
		return err
	}
	var onAlerts func([]*alert.Alert)
	if o.forward.Webhook != "" || o.forward.Syslog != "" {
		if onAlerts, err = a.startForwarder(o.forward); err != nil {
			return err
		}
	}
	a.pipe, err = ingest.New(ctx, ingest.Config{
		OnAlerts:  onAlerts,
		Store:     a.store,
		Keyer:     a.keyer,
		Directory: a.dir,
		PII:       ingest.CountPII,
		Detector:  engine,
		Sealer:    ledgerSealer{a.ledger},
		Period:    ledger.PeriodOf,
		Logger:    a.logger,
	})
	return err
}

// startForwarder sends stored alerts to a webhook and/or syslog from a
// goroutine of its own, so that a slow receiver never holds up detection;
// when it falls far behind, batches are dropped with an error in the log
// (the alerts themselves are stored either way).
func (a *app) startForwarder(cfg detect.ForwardConfig) (func([]*alert.Alert), error) {
	f, err := detect.NewForwarder(cfg)
	if err != nil {
		return nil, err
	}
	queue := make(chan []*alert.Alert, 256)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for batch := range queue {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if err := f.Forward(ctx, batch); err != nil {
				a.logger.Error("alert forwarding failed", "alerts", len(batch), "err", err)
			}
			cancel()
		}
	}()
	a.stopForwarder = func() error {
		close(queue)
		<-done
		return f.Close()
	}
	return func(batch []*alert.Alert) {
		select {
		case queue <- batch:
		default:
			a.logger.Error("alert forwarding is behind; batch not forwarded", "alerts", len(batch))
		}
	}, nil
}

// watchlistFile lists watch-listed data subjects (VIPs, colleagues …) in
// the data directory: one "identifier<TAB>label" a line. Lookups of them
// are flagged by the watch-list rule.
const watchlistFile = "watchlist.tsv"

// loadWatchlist reads the watch list and pseudonymises it the way ingest
// pseudonymises records' subjects.
func loadWatchlist(dataDir string, k *subject.Keyer) (map[string]string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, watchlistFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, label, _ := strings.Cut(line, "\t")
		if id == "" {
			return nil, fmt.Errorf("%s:%d: empty identifier", watchlistFile, i+1)
		}
		out[k.Of(strings.TrimSpace(id)).String()] = strings.TrimSpace(label)
	}
	return out, nil
}

// Close stops the pipeline and closes the store, keeping the first error.
func (a *app) Close() error {
	var errs []error
	if a.pipe != nil {
		errs = append(errs, a.pipe.Close())
	}
	if a.stopForwarder != nil {
		errs = append(errs, a.stopForwarder())
	}
	if a.ledger != nil {
		errs = append(errs, a.ledger.Close())
	}
	errs = append(errs, a.store.Close())
	return errors.Join(errs...)
}

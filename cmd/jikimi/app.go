package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/jikimi/jikimi/directory"
	"github.com/jikimi/jikimi/ingest"
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
	dataDir string
	store   *sqlite.DB
	keyer   *subject.Keyer
	dir     *directory.Directory
	pipe    *ingest.Pipeline // nil unless opened with withPipeline
	logger  *slog.Logger
}

type appOptions struct {
	withPipeline bool
	create       bool // create the data directory if missing
}

// kst is Korea Standard Time, in which periods and working hours are read.
var kst = time.FixedZone("KST", 9*3600)

// monthPeriod names the seal period of a record: its month in Korea time.
func monthPeriod(t time.Time) string { return t.In(kst).Format("2006-01") }

func openApp(ctx context.Context, e *env, dataDir string, o appOptions) (*app, error) {
	if _, err := os.Stat(dataDir); errors.Is(err, os.ErrNotExist) {
		if !o.create {
			return nil, fmt.Errorf("no data directory at %s (run 'jikimi ingest' or 'jikimi serve' first, or pass --data)", dataDir)
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, err
		}
	}
	a := &app{dataDir: dataDir, logger: slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))}
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
		a.pipe, err = ingest.New(ctx, ingest.Config{
			Store:     a.store,
			Keyer:     a.keyer,
			Directory: a.dir,
			PII:       ingest.CountPII,
			Period:    monthPeriod,
			Logger:    a.logger,
		})
		if err != nil {
			a.store.Close()
			return nil, err
		}
	}
	return a, nil
}

// Close stops the pipeline and closes the store, keeping the first error.
func (a *app) Close() error {
	var errs []error
	if a.pipe != nil {
		errs = append(errs, a.pipe.Close())
	}
	errs = append(errs, a.store.Close())
	return errors.Join(errs...)
}

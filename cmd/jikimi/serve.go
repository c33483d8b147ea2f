package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jikimi/jikimi/alert"
	"github.com/jikimi/jikimi/api"
	"github.com/jikimi/jikimi/config"
	"github.com/jikimi/jikimi/detect"
	"github.com/jikimi/jikimi/ledger"
	"github.com/jikimi/jikimi/store"
	"github.com/prometheus/client_golang/prometheus"
)

// tokenFile holds the admin API token in the data directory.
const tokenFile = "api-token"

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "[--addr 127.0.0.1:8080]")
	data := dataFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (loopback by default)")
	anchor := anchorFlag(fs)
	anchorEvery := fs.Duration("anchor-interval", ledger.DefaultAnchorInterval, "how often the latest checkpoint is anchored, when the log grew (1s: every checkpoint published; a rollback of the data directory can hide at most this much)")
	rules := fs.String("rules", "", "folder of user detection rules (YAML), besides the built-in ones")
	var fwd detect.ForwardConfig
	fs.StringVar(&fwd.Webhook, "alert-webhook", os.Getenv("JIKIMI_ALERT_WEBHOOK"), "POST alerts as JSON to this URL (default $JIKIMI_ALERT_WEBHOOK)")
	fs.StringVar(&fwd.Syslog, "alert-syslog", os.Getenv("JIKIMI_ALERT_SYSLOG"), "send alerts as RFC 5424 syslog to udp://host:port or tcp://host:port (default $JIKIMI_ALERT_SYSLOG)")
	minSev := fs.String("alert-min-severity", "medium", "forward alerts of this severity and above (low, medium, high, critical)")
	cfgPath := fs.String("config", os.Getenv("JIKIMI_CONFIG"), "configuration file: syslog listeners, OTLP endpoint (see 'jikimi config example'; default $JIKIMI_CONFIG)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fwd.MinSeverity = alert.Severity(*minSev)
	if fwd.MinSeverity.Rank() == 0 {
		return fmt.Errorf("alert-min-severity: %q is not one of low, medium, high, critical", *minSev)
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		var es config.Errors
		if errors.As(err, &es) {
			for _, x := range es {
				fmt.Fprintln(e.stderr, x)
			}
			return &exitError{code: 2, err: errors.New("configuration has problems (listed above)")}
		}
		return err
	}
	// Flags given on the command line win over the file and $JIKIMI_….
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["data"] {
		*data = cfg.Serve.Data // the file, $JIKIMI_SERVE_DATA, $JIKIMI_DATA or ./jikimi-data
	}
	if !set["addr"] {
		*addr = cfg.Serve.Addr
	}
	a, err := openApp(ctx, e, *data, appOptions{withPipeline: true, create: true, rules: *rules, anchorDir: *anchor, anchorEvery: *anchorEvery, forward: fwd})
	if err != nil {
		return err
	}
	defer a.Close()
	return serveApp(ctx, e, a, *addr, &cfg.Serve)
}

// serveApp serves the API (and the console) of an open app until ctx ends.
func serveApp(ctx context.Context, e *env, a *app, addr string, cfg *config.Serve) error {
	token, created, err := loadToken(a.dataDir)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	srv := api.New(api.Config{
		Pipeline: a.pipe, Store: a.store, Token: token, Logger: a.logger, Registry: reg,
		Query: func(r *http.Request) (store.Query, error) { return queryFromURL(r.URL.Query(), a) },
	})
	if cfg != nil {
		stop, err := startListeners(ctx, a, cfg, srv, reg)
		if err != nil {
			return err
		}
		// Runs after the HTTP server has drained and before the caller
		// closes the pipeline: every record a listener read is stored.
		defer func() {
			if err := stop(); err != nil {
				a.logger.Error("stop listeners", "err", err)
			}
		}()
	}
	if err := mountConsole(ctx, a, srv, consoleOptions{Rules: a.rules, Integrity: ledgerIntegrity{a: a, e: e}}); err != nil {
		return fmt.Errorf("console: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	path := filepath.Join(a.dataDir, tokenFile)
	if created {
		fmt.Fprintf(e.stdout, "created an admin API token in %s (mode 0600)\n", path)
	}
	fmt.Fprintf(e.stdout, "jikimi listening on http://%s (console: http://%s/)\n", ln.Addr(), ln.Addr())
	fmt.Fprintf(e.stdout, "  send records:  curl -H \"Authorization: Bearer $(cat %s)\" --data-binary @records.jsonl http://%s/api/v1/records\n", path, ln.Addr())
	return serveUntilDone(ctx, &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}, ln)
}

// serveUntilDone serves until ctx ends, then drains in-flight requests so
// that no acknowledged ingest is cut short.
func serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func queryFromURL(v url.Values, a *app) (store.Query, error) {
	var f recordFilter
	if err := f.fromValues(v); err != nil {
		return store.Query{}, err
	}
	return f.query(a.keyer)
}

// loadToken reads the admin API token, creating it on first start.
func loadToken(dataDir string) (token string, created bool, err error) {
	path := filepath.Join(dataDir, tokenFile)
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), false, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", false, err
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", false, err
	}
	token = "jkm_" + hex.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(token+"\n"), 0o600); err != nil {
		return "", false, err
	}
	return token, true, nil
}

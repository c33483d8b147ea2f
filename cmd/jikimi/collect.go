package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/jikimi/jikimi/collect"
	"github.com/jikimi/jikimi/config"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

func runCollect(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "collect", "--config FILE (or JIKIMI_COLLECT_… variables)")
	path := fs.String("config", os.Getenv("JIKIMI_CONFIG"), "configuration file (default $JIKIMI_CONFIG); see 'jikimi config example'")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*path)
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
	c := &cfg.Collect
	if len(c.Sources) == 0 {
		return &exitError{code: 2, err: errors.New("no collect.sources configured: nothing to tail")}
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	token := c.Token
	if token == "" {
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return fmt.Errorf("read collect.token_file: %w", err)
		}
		token = strings.TrimSpace(string(b))
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = c.Senders + 1
	if c.TLS.CA != "" {
		pem, err := os.ReadFile(c.TLS.CA)
		if err != nil {
			return fmt.Errorf("read collect.tls.ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("collect.tls.ca: no certificate in %s", c.TLS.CA)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
	var sources []collect.Source
	for i := range c.Sources {
		s := &c.Sources[i]
		opts, err := s.Options()
		if err != nil {
			return fmt.Errorf("source %s: %w", s.Name, err)
		}
		sources = append(sources, collect.Source{Name: s.Name, Paths: s.Paths, Format: s.Format, Options: opts})
	}
	agent, err := collect.New(collect.Config{
		Server: c.Server, Token: token, Client: &http.Client{Transport: transport, Timeout: time.Duration(c.Timeout)},
		StateDir: c.StateDir, BufferMax: int64(c.Buffer.MaxBytes), BatchSize: c.Batch.Size, BatchWait: time.Duration(c.Batch.Wait),
		BackoffMin: time.Duration(c.Backoff.Min), BackoffMax: time.Duration(c.Backoff.Max), Senders: c.Senders,
		Poll: time.Duration(c.Poll), Sources: sources, Registry: reg, Logger: logger,
	})
	if err != nil {
		return err
	}
	if c.MetricsAddr != "" {
		ln, err := net.Listen("tcp", c.MetricsAddr)
		if err != nil {
			return fmt.Errorf("collect.metrics_addr: %w", err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		ms := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go ms.Serve(ln)
		defer ms.Close()
		fmt.Fprintf(e.stdout, "collect metrics on http://%s/metrics\n", ln.Addr())
	}
	fmt.Fprintf(e.stdout, "collect forwarding %d source(s) to %s\n", len(sources), c.Server)
	return agent.Run(ctx)
}

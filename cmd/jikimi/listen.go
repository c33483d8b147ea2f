package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/jikimi/jikimi/api"
	"github.com/jikimi/jikimi/config"
	"github.com/jikimi/jikimi/listen"
	"github.com/prometheus/client_golang/prometheus"
)

// startListeners starts the syslog listeners of cfg and, when enabled,
// adds the OTLP/HTTP logs endpoint POST /v1/logs to srv. Their records go
// through a's pipeline; their metrics register with reg (the registry
// given to api.New, so that they appear on /metrics).
//
// stop closes the listeners and returns once every record they read is
// stored: call it before the pipeline is closed (and after the HTTP server
// has drained, for OTLP requests in flight).
func startListeners(ctx context.Context, a *app, cfg *config.Serve, srv *api.Server, reg prometheus.Registerer) (stop func() error, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m := listen.NewMetrics(reg)
	sink := listen.PipelineSink(a.pipe, a.logger)
	var started []*listen.Syslog
	stop = func() error {
		var errs []error
		for _, l := range started {
			errs = append(errs, l.Close())
		}
		return errors.Join(errs...)
	}
	for i := range cfg.Syslog {
		l := &cfg.Syslog[i]
		opts, err := l.Options()
		if err != nil {
			stop()
			return nil, fmt.Errorf("listener %s: %w", l.Name, err)
		}
		var tlsCfg *tls.Config
		if l.Network == "tls" {
			if tlsCfg, err = listen.ServerTLS(l.TLS.Cert, l.TLS.Key, l.TLS.ClientCA); err != nil {
				stop()
				return nil, fmt.Errorf("listener %s: %w", l.Name, err)
			}
		}
		s, err := listen.ListenSyslog(listen.SyslogConfig{
			Name: l.Name, Network: l.Network, Addr: l.Addr, TLS: tlsCfg, Options: opts, Programs: l.Programs,
			MaxMessageBytes: int(l.MaxMessageBytes), BatchSize: l.Batch.Size, BatchWait: time.Duration(l.Batch.Wait),
			Metrics: m, Logger: a.logger,
		}, sink)
		if err != nil {
			stop()
			return nil, fmt.Errorf("listener %s: %w", l.Name, err)
		}
		started = append(started, s)
	}
	if cfg.OTLP.Enabled {
		opts, err := cfg.OTLP.Options()
		if err != nil {
			stop()
			return nil, fmt.Errorf("otlp: %w", err)
		}
		token, _, err := loadToken(a.dataDir)
		if err != nil {
			stop()
			return nil, err
		}
		srv.Handle("POST "+listen.OTLPPath, listen.NewOTLP(listen.OTLPConfig{Token: token, Options: opts, Metrics: m, Logger: a.logger}, sink))
	}
	return stop, nil
}

// Command otlpcap sends log records through the OpenTelemetry Go SDK's
// OTLP/HTTP exporter to a local server and prints each request body as
// OTLP JSON (protojson), one ExportLogsServiceRequest per line.
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	collogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

func main() {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	done := make(chan struct{}, 10)
	go http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var req collogs.ExportLogsServiceRequest
		if err := proto.Unmarshal(b, &req); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		j, _ := protojson.MarshalOptions{}.Marshal(&req)
		fmt.Println(string(j))
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(nil)
		done <- struct{}{}
	}))
	ctx := context.Background()
	exp, err := otlploghttp.New(ctx, otlploghttp.WithEndpoint(ln.Addr().String()), otlploghttp.WithInsecure())
	if err != nil {
		panic(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "billing-api"), attribute.String("host.name", "api-1"))
	lp := sdklog.NewLoggerProvider(sdklog.WithResource(res), sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)))
	lg := lp.Logger("jikimi-capture")
	emit := func(ts time.Time, body string, kv ...attribute.KeyValue) {
		var r log.Record
		r.SetTimestamp(ts)
		r.SetBody(attribute.StringValue(body))
		r.SetSeverity(log.SeverityInfo)
		r.AddAttributes(kv...)
		lg.Emit(ctx, r)
		<-done
	}
	t := time.Date(2026, 11, 23, 20, 30, 0, 123456789, time.FixedZone("KST", 9*3600))
	emit(t, "customer viewed", attribute.String("enduser.id", "kim"), attribute.String("action", "view"),
		attribute.String("client.address", "10.20.3.41"), attribute.String("session.id", "s-42"),
		attribute.String("target.object", "/customers/42"), attribute.String("target.kind", "api"), attribute.String("http.route", "/customers/{id}"))
	emit(t.Add(time.Second), "customers exported", attribute.String("actor.id", "lee"), attribute.String("action", "export"),
		attribute.String("origin.ip", "10.20.3.42"), attribute.Int64("result.rows", 1200), attribute.String("purpose", "월말 정산"),
		attribute.StringSlice("subjects", []string{"C-1", "C-2"}), attribute.Int64("subject_count", 1200), attribute.Int64("pii.phone", 1200))
	emit(t.Add(2*time.Second), "login", attribute.String("enduser.id", "park"), attribute.String("action", "login"), attribute.Bool("auth.external", true), attribute.String("auth.method", "mfa"))
	emit(t.Add(3*time.Second), "no actor here", attribute.String("action", "view"))
	emit(t.Add(4*time.Second), "bad action", attribute.String("enduser.id", "kim"), attribute.String("action", "peek"))
	lp.Shutdown(ctx)
}

// Package config reads jikimi's configuration file: one YAML file for
// `jikimi serve` (data directory, API address, syslog listeners, the
// OTLP/HTTP logs endpoint) and `jikimi collect` (server, token, files to
// tail, disk buffer). Example holds a complete, commented example.
//
// # Errors name lines
//
// Load and Check report every problem at once, each as an *Error naming
// the file's line (or the environment variable that set the value) and
// the option's path:
//
//	jikimi.yaml:14: collect.sources[0].format: unknown format "pgadit" (known: jsonl, …)
//	jikimi.yaml:9: field adr not found in type config.Serve
//	$JIKIMI_COLLECT_SENDERS: collect.senders: "many" is not an integer
//
// Unknown keys are errors, so a typo never silently leaves a default.
//
// # Environment
//
// Every option can be set by an environment variable, which wins over the
// file: the option's path in upper case with "_" for "." and list indexes
// as numbers (see EnvPrefix and EnvName). JIKIMI_DATA also sets serve.data.
//
// # Defaults
//
// Every default is a named constant (DefaultServeAddr …), applied by Load
// before validation. Listeners are off unless listed; addresses default to
// loopback.
//
// This package only turns the file into Go values; cmd/jikimi wires them
// into listen, collect and the API, so domain packages never see the file.
package config

// Command jikimi collects, seals and watches access records (접속기록) of
// personal-information processing systems. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"k8s.io/klog/v2"
)

// env carries the process's streams so that tests can call run directly.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand. run receives the arguments after the
// subcommand's name.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

// commands is the explicit list of subcommands, in the order --help shows them.
var commands = []command{
	{"demo", "generate a month of a demo organisation, ingest it and serve it", runDemo},
	{"serve", "run the pipeline, the HTTP API and the console", runServe},
	{"ingest", "ingest access records from files", runIngest},
	{"records", "search stored access records", runRecords},
	{"directory", "import people, keys, devices and systems", runDirectory},
	{"alerts", "list alerts raised by detection", runAlerts},
	{"breach", "breach impact, incidents, notification lists and notices", runBreach},
	{"verify", "prove that no access record or log entry was altered, deleted or invented", runVerify},
	{"proof", "write a portable inclusion proof of one record", runProof},
	{"verify-proof", "check a proof bundle without the data directory", runVerifyProof},
	{"key", "list or rotate the ledger's signing keys", runKey},
	{"retention", "delete records past their retention, except those under legal hold", runRetention},
	{"hold", "place, lift and list legal holds", runHold},
	{"scan", "count personal information in files", runScan},
	{"mask", "mask personal information on stdin", runMask},
	{"report", "the periodic review report", runReport},
	{"user", "console accounts", runUser},
	{"collect", "tail log files and forward records to a server", runCollect},
	{"config", "check a configuration file", runConfig},
}

// errUsage marks an error already explained by a flag set's usage text.
var errUsage = errors.New("usage")

// exitError carries a specific exit status (for example 1 when some input
// lines were rejected but the rest were ingested).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	quietTessera()
	stopProfile := startProfile(os.Getenv("JIKIMI_CPUPROFILE"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	stopProfile()
	os.Exit(code)
}

// startProfile writes a CPU profile of the whole run to path, when set
// ($JIKIMI_CPUPROFILE): how the figures in BENCHMARKS.md were explained,
// and what to send with a performance report.
func startProfile(path string) (stop func()) {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "jikimi: JIKIMI_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// quietTessera silences klog, through which Tessera logs its internals;
// jikimi's own logs say what matters.
func quietTessera() {
	klog.LogToStderr(false)
	klog.SetOutput(io.Discard)
}

// run dispatches to a subcommand and maps its error to an exit status.
func run(ctx context.Context, args []string, e *env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		var ee *exitError
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.As(err, &ee):
			if ee.err != nil && ee.err.Error() != "" {
				fmt.Fprintf(e.stderr, "jikimi %s: %v\n", c.name, ee.err)
			}
			return ee.code
		default:
			fmt.Fprintf(e.stderr, "jikimi %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(e.stderr, "jikimi: unknown command %q\n\n", args[0])
	usage(e.stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "jikimi (지킴이) keeps watch over access to personal information.")
	fmt.Fprintln(w, "\nUsage: jikimi COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'jikimi COMMAND --help' for a command's flags.")
}

// newFlags returns a flag set whose usage names the command and prints to e.
func newFlags(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("jikimi "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "Usage: jikimi %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args and turns a parse failure into errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	return nil
}

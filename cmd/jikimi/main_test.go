package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

// TestMain lets a test run this binary as the jikimi command itself (with
// JIKIMI_TEST_MAIN=1), so that process-level tests can kill -9 a real
// server without building a separate binary.
func TestMain(m *testing.M) {
	if os.Getenv("JIKIMI_TEST_MAIN") == "1" {
		main()
		return
	}
	quietTessera()
	os.Exit(m.Run())
}

// jikimi runs a command in-process and returns its exit status and output.
func jikimi(t testing.TB, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/jikimi/jikimi/config"
)

// loadConfig reads the configuration file at path ("" for none) with the
// process's JIKIMI_… environment overrides.
func loadConfig(path string) (*config.File, error) {
	return config.Load(path, os.Getenv, os.Environ())
}

func runConfig(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "config", "check FILE | example")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 2 && fs.Arg(0) == "check":
		data, err := os.ReadFile(fs.Arg(1))
		if err != nil {
			return err
		}
		if err := config.Check(data, fs.Arg(1)); err != nil {
			var es config.Errors
			if errors.As(err, &es) {
				for _, x := range es {
					fmt.Fprintln(e.stderr, x)
				}
				return &exitError{code: 1, err: fmt.Errorf("%d problem(s) in %s", len(es), fs.Arg(1))}
			}
			return err
		}
		fmt.Fprintf(e.stdout, "%s: ok\n", fs.Arg(1))
		return nil
	case fs.NArg() == 1 && fs.Arg(0) == "example":
		_, err := e.stdout.Write(config.Example)
		return err
	}
	fs.Usage()
	return errUsage
}

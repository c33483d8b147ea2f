package main

import (
	"context"
	"fmt"
	"os"
)

func runDirectory(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		fmt.Fprintln(e.stderr, "Usage: jikimi directory import [--data DIR] FILE...\n\nImports people, keys, devices and systems from JSON lines (see the README).")
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errUsage
	}
	fs := newFlags(e, "directory import", "FILE... ('-' for stdin)")
	data := dataFlag(fs)
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	a, err := openApp(ctx, e, *data, appOptions{create: true})
	if err != nil {
		return err
	}
	defer a.Close()
	total := 0
	for _, name := range fs.Args() {
		f := e.stdin
		if name != "-" {
			file, err := os.Open(name)
			if err != nil {
				return err
			}
			defer file.Close()
			f = file
		}
		n, err := a.dir.Import(f, name)
		if err != nil {
			return err
		}
		total += n
	}
	if err := a.dir.Save(a.dataDir); err != nil {
		return fmt.Errorf("save directory: %w", err)
	}
	fmt.Fprintf(e.stdout, "imported %d entries: %d people, %d keys, %d devices, %d systems in the directory\n",
		total, len(a.dir.People()), len(a.dir.Keys()), len(a.dir.Devices()), len(a.dir.Systems()))
	return nil
}

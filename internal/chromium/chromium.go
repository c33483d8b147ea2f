// Package chromium prints HTML to PDF with headless Chromium, for the
// review report and breach notices.
package chromium

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Path is where Debian's chromium package installs the browser.
const Path = "/usr/bin/chromium"

// ErrNotFound is returned (wrapped) when the browser is not installed.
var ErrNotFound = errors.New("PDF needs a headless chromium")

// PDF prints an HTML document to out (mode 0600: reports and notices name
// people and incidents) with the browser at path ("" means Path). The flags
// keep a root, offline Chromium from reaching for the network.
func PDF(ctx context.Context, path string, html []byte, out string) error {
	if path == "" {
		path = Path
	}
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%w (%s not found)", ErrNotFound, path)
	}
	dir, err := os.MkdirTemp("", "jikimi-pdf-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	page := filepath.Join(dir, "page.html")
	if err := os.WriteFile(page, html, 0o600); err != nil {
		return err
	}
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run", "--no-pdf-header-footer",
		"--user-data-dir="+filepath.Join(dir, "profile"), "--print-to-pdf="+abs, "file://"+page)
	if msg, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("chromium print-to-pdf: %w: %s", err, bytes.TrimSpace(msg))
	}
	if st, err := os.Stat(abs); err != nil || st.Size() == 0 {
		return fmt.Errorf("chromium wrote no PDF to %s", abs)
	}
	return os.Chmod(abs, 0o600)
}

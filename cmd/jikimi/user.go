package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/jikimi/jikimi/account"
)

func runUser(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "Usage: jikimi user add|list|totp|unlock [flags]")
		return errUsage
	}
	switch args[0] {
	case "add":
		return runUserAdd(ctx, e, args[1:])
	case "list":
		return runUserList(ctx, e, args[1:])
	case "totp":
		return runUserTOTP(ctx, e, args[1:])
	case "unlock":
		return runUserUnlock(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "jikimi user: unknown subcommand %q (add, list, totp, unlock)\n", args[0])
	return errUsage
}

func runUserAdd(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user add", "--id ID --role ROLE [--name NAME] [--email ADDR]")
	data := dataFlag(fs)
	id := fs.String("id", "", "account id (for staff: the actor id in their access records)")
	role := fs.String("role", "", "admin, privacy_officer, reviewer, staff or auditor")
	name := fs.String("name", "", "display name")
	email := fs.String("email", "", "e-mail address for notifications")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *id == "" || !account.ValidRole(account.Role(*role)) {
		fs.Usage()
		return errUsage
	}
	a, err := openApp(ctx, e, *data, appOptions{create: true})
	if err != nil {
		return err
	}
	defer a.Close()
	svc := account.NewService(a.store, account.Options{})
	u, pw, err := svc.Create(ctx, *id, *name, account.Role(*role))
	if err != nil {
		return err
	}
	if *email != "" {
		u.Email = *email
		if err := a.store.PutUser(ctx, u); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "account:            %s (%s)\n", u.ID, u.Role)
	fmt.Fprintf(e.stdout, "one-time password:  %s   (must be changed at first sign-in)\n", pw)
	fmt.Fprintf(e.stdout, "TOTP secret:        %s\n", u.TOTPSecret)
	fmt.Fprintf(e.stdout, "otpauth URL:        %s\n", account.OTPAuthURL("jikimi", u.ID, u.TOTPSecret))
	return nil
}

func runUserList(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user list", "")
	data := dataFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	us, err := a.store.Users(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tNAME\tLOCKED")
	for _, u := range us {
		locked := ""
		if u.Locked(time.Now()) {
			locked = u.LockedUntil.In(kst).Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.ID, u.Role, u.Name, locked)
	}
	return tw.Flush()
}

// runUserTOTP prints an account's current code: a helper for the demo and
// for tests, reading the secret from the store as an authenticator would.
func runUserTOTP(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user totp", "--id ID")
	data := dataFlag(fs)
	id := fs.String("id", "", "account id")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.store.User(ctx, *id)
	if err != nil {
		return fmt.Errorf("%s: %w", *id, err)
	}
	now := time.Now()
	code, err := account.TOTP(u.TOTPSecret, now)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s  (valid for %d more seconds)\n", code, 30-now.Unix()%30)
	return nil
}

func runUserUnlock(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "user unlock", "--id ID")
	data := dataFlag(fs)
	id := fs.String("id", "", "account id")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	a, err := openApp(ctx, e, *data, appOptions{})
	if err != nil {
		return err
	}
	defer a.Close()
	return account.NewService(a.store, account.Options{}).Unlock(ctx, *id)
}

package account_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jikimi/jikimi/account"
	"github.com/jikimi/jikimi/store/sqlite"
)

// RFC 6238 Appendix B, SHA-1 column (secret "12345678901234567890"),
// last 6 digits.
func TestTOTPVectors(t *testing.T) {
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	for _, tc := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"}, {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"}} {
		got, err := account.TOTP(secret, time.Unix(tc.unix, 0))
		if err != nil || got != tc.want {
			t.Errorf("TOTP(%d) = %s, %v; want %s", tc.unix, got, err, tc.want)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := account.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	if !account.CheckPassword(h, "correct horse") || account.CheckPassword(h, "correct hors") {
		t.Errorf("CheckPassword does not tell right from wrong")
	}
	h2, _ := account.HashPassword("correct horse")
	if h == h2 {
		t.Errorf("two hashes of one password are equal: salt missing")
	}
}

func TestSignInLockoutReplayIdle(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
	svc := account.NewService(db, account.Options{MaxFailures: 3, LockFor: time.Hour, IdleTimeout: 10 * time.Minute, Now: func() time.Time { return now }})
	u, pw, err := svc.Create(ctx, "kim", "김", account.Staff)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := account.TOTP(u.TOTPSecret, now)
	if _, err := svc.SignIn(ctx, "kim", pw, code); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	if _, err := svc.SignIn(ctx, "kim", pw, code); !errors.Is(err, account.ErrBadCredentials) {
		t.Errorf("replayed code: %v, want ErrBadCredentials", err)
	}
	for range 2 {
		now = now.Add(30 * time.Second)
		if _, err := svc.SignIn(ctx, "kim", "wrong", "000000"); !errors.Is(err, account.ErrBadCredentials) && !errors.Is(err, account.ErrLocked) {
			t.Fatal(err)
		}
	}
	now = now.Add(30 * time.Second)
	code, _ = account.TOTP(u.TOTPSecret, now)
	if _, err := svc.SignIn(ctx, "kim", pw, code); !errors.Is(err, account.ErrLocked) {
		t.Errorf("after 3 failures: %v, want ErrLocked", err)
	}
	now = now.Add(61 * time.Minute)
	code, _ = account.TOTP(u.TOTPSecret, now)
	got, err := svc.SignIn(ctx, "kim", pw, code)
	if err != nil {
		t.Fatalf("after the lock ends: %v", err)
	}
	s := svc.Sessions.Start(got)
	now = now.Add(9 * time.Minute)
	if svc.Sessions.Get(s.ID) == nil {
		t.Errorf("session ended before the idle timeout")
	}
	now = now.Add(11 * time.Minute)
	if svc.Sessions.Get(s.ID) != nil {
		t.Errorf("session alive after 11 idle minutes, timeout 10")
	}
}

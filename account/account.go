// Package account holds the console's accounts: roles, password hashes,
// TOTP second factors, lockout after failed sign-ins and sessions that end
// when idle.
//
// The console is itself a personal-information processing system, so the
// safeguards of 개인정보의 안전성 확보조치 기준 apply to it: 제5조 (access
// rights by role, lockout after repeated failed authentication), 제5조⑥
// (secure authentication beyond a password for remote access) and
// 제7조 (passwords stored with a one-way cryptographic hash).
package account

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Role is what an account may do in the console. Every page and API
// checks it on the server.
type Role string

// The roles.
const (
	Admin          Role = "admin"           // manages accounts; sees no personal information
	PrivacyOfficer Role = "privacy_officer" // 개인정보 보호책임자: cases, unmasking, report sign-off
	Reviewer       Role = "reviewer"        // approves or rejects justifications
	Staff          Role = "staff"           // answers for their own alerts; account id = actor id
	Auditor        Role = "auditor"         // reads everything, changes nothing
)

// Roles lists the roles in display order.
var Roles = []Role{Admin, PrivacyOfficer, Reviewer, Staff, Auditor}

// ValidRole reports whether r is one of Roles.
func ValidRole(r Role) bool {
	for _, v := range Roles {
		if v == r {
			return true
		}
	}
	return false
}

// User is one console account. For staff the ID is the actor id their
// access records carry.
type User struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Role        Role      `json:"role"`
	Email       string    `json:"email,omitempty"`
	PassHash    string    `json:"pass_hash"`   // see HashPassword
	TOTPSecret  string    `json:"totp_secret"` // base32, RFC 4648 without padding
	MustChange  bool      `json:"must_change"` // the password is a one-time password
	Failed      int       `json:"failed"`      // consecutive failed sign-ins
	LockedUntil time.Time `json:"locked_until,omitzero"`
	LastStep    int64     `json:"last_step"` // last TOTP time step accepted (no replay)
	Created     time.Time `json:"created"`
}

// Locked reports whether the account is locked at now.
func (u *User) Locked(now time.Time) bool { return now.Before(u.LockedUntil) }

// Store keeps accounts. Implementations: store/sqlite (account.go).
type Store interface {
	// User returns the account with id, or ErrNoUser.
	User(ctx context.Context, id string) (User, error)
	// Users returns every account ordered by id.
	Users(ctx context.Context) ([]User, error)
	// PutUser inserts or replaces an account.
	PutUser(ctx context.Context, u User) error
}

// Errors of sign-in. A caller shows the same message for ErrNoUser and
// ErrBadCredentials so that the form does not reveal which ids exist.
var (
	ErrNoUser         = errors.New("no such account")
	ErrBadCredentials = errors.New("wrong password or code")
	ErrLocked         = errors.New("account locked")
)

// Defaults applied by NewService to zero Options fields.
const (
	DefaultMaxFailures = 5                // 5 failed tries lock the account
	DefaultLockFor     = 30 * time.Minute // how long a lock lasts
	DefaultIdleTimeout = 30 * time.Minute // sessions end after this idle time
)

// Options configures a Service. The zero value gives the defaults.
type Options struct {
	MaxFailures int
	LockFor     time.Duration
	IdleTimeout time.Duration
	Now         func() time.Time // nil: time.Now
}

// Service signs people in. Its methods may be called concurrently.
type Service struct {
	store    Store
	o        Options
	Sessions *Sessions
}

// NewService returns a service over st.
func NewService(st Store, o Options) *Service {
	if o.MaxFailures <= 0 {
		o.MaxFailures = DefaultMaxFailures
	}
	if o.LockFor <= 0 {
		o.LockFor = DefaultLockFor
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Service{store: st, o: o, Sessions: NewSessions(o.IdleTimeout, o.Now)}
}

// Store returns the account store.
func (s *Service) Store() Store { return s.store }

// Create adds an account with a random one-time password and a new TOTP
// secret, and returns the password (shown once, never stored in clear).
func (s *Service) Create(ctx context.Context, id, name string, role Role) (User, string, error) {
	if id == "" || !ValidRole(role) {
		return User{}, "", fmt.Errorf("account: need an id and one of the roles %v", Roles)
	}
	if _, err := s.store.User(ctx, id); err == nil {
		return User{}, "", fmt.Errorf("account %q exists", id)
	} else if !errors.Is(err, ErrNoUser) {
		return User{}, "", err
	}
	pw := RandomPassword()
	u, err := NewUser(id, name, role, pw, NewTOTPSecret(), s.o.Now())
	if err != nil {
		return User{}, "", err
	}
	u.MustChange = true
	return u, pw, s.store.PutUser(ctx, u)
}

// NewUser builds an account with the given password and TOTP secret.
func NewUser(id, name string, role Role, password, secret string, now time.Time) (User, error) {
	h, err := HashPassword(password)
	if err != nil {
		return User{}, err
	}
	return User{ID: id, Name: name, Role: role, PassHash: h, TOTPSecret: secret, Created: now.UTC()}, nil
}

// SignIn checks the password and the TOTP code and returns the account.
// Each failure counts towards the lock; a success resets the count. A
// code already used (same time step) is refused, so an observed code
// cannot be replayed.
func (s *Service) SignIn(ctx context.Context, id, password, code string) (User, error) {
	u, err := s.store.User(ctx, id)
	if err != nil {
		if errors.Is(err, ErrNoUser) {
			// Spend the same time as a real check so timing tells nothing.
			CheckPassword(dummyHash, password)
		}
		return User{}, err
	}
	now := s.o.Now()
	if u.Locked(now) {
		return u, ErrLocked
	}
	step, okCode := ValidateTOTP(u.TOTPSecret, code, now)
	if okCode && step <= u.LastStep {
		okCode = false
	}
	if !CheckPassword(u.PassHash, password) || !okCode {
		u.Failed++
		if u.Failed >= s.o.MaxFailures {
			u.LockedUntil = now.Add(s.o.LockFor).UTC()
			u.Failed = 0
		}
		if err := s.store.PutUser(ctx, u); err != nil {
			return u, err
		}
		if u.Locked(now) {
			return u, ErrLocked
		}
		return u, ErrBadCredentials
	}
	u.Failed, u.LastStep = 0, step
	return u, s.store.PutUser(ctx, u)
}

// SetPassword replaces an account's password and clears MustChange.
func (s *Service) SetPassword(ctx context.Context, id, password string) error {
	if len([]rune(password)) < MinPasswordLen {
		return fmt.Errorf("password: at least %d characters", MinPasswordLen)
	}
	u, err := s.store.User(ctx, id)
	if err != nil {
		return err
	}
	if u.PassHash, err = HashPassword(password); err != nil {
		return err
	}
	u.MustChange = false
	return s.store.PutUser(ctx, u)
}

// Unlock clears an account's lock and failure count.
func (s *Service) Unlock(ctx context.Context, id string) error {
	u, err := s.store.User(ctx, id)
	if err != nil {
		return err
	}
	u.Failed, u.LockedUntil = 0, time.Time{}
	return s.store.PutUser(ctx, u)
}

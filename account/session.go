package account

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// Session is a signed-in browser. Its CSRF token is checked on every form
// post (the synchroniser-token pattern).
type Session struct {
	ID       string
	User     string
	Role     Role
	CSRF     string
	Started  time.Time
	lastSeen time.Time
}

// Sessions keeps sessions in memory: a restart signs everyone out, which
// is the safe direction. Methods may be called concurrently.
type Sessions struct {
	idle time.Duration
	now  func() time.Time

	mu sync.Mutex // guards m
	m  map[string]*Session
}

// NewSessions returns an empty set whose sessions end after idle.
func NewSessions(idle time.Duration, now func() time.Time) *Sessions {
	return &Sessions{idle: idle, now: now, m: map[string]*Session{}}
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// Start opens a session for u.
func (s *Sessions) Start(u User) *Session {
	now := s.now()
	ss := &Session{ID: randomToken(), User: u.ID, Role: u.Role, CSRF: randomToken(), Started: now, lastSeen: now}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, old := range s.m { // sweep expired sessions
		if now.Sub(old.lastSeen) > s.idle {
			delete(s.m, id)
		}
	}
	s.m[ss.ID] = ss
	return ss
}

// Get returns the session with id and marks it used, or nil when it does
// not exist or has been idle longer than the timeout.
func (s *Sessions) Get(id string) *Session {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.m[id]
	if ss == nil {
		return nil
	}
	if now.Sub(ss.lastSeen) > s.idle {
		delete(s.m, id)
		return nil
	}
	ss.lastSeen = now
	c := *ss
	return &c
}

// End removes a session.
func (s *Sessions) End(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// EndUser removes every session of an account (after a role change or a
// password change).
func (s *Sessions) EndUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, ss := range s.m {
		if ss.User == user {
			delete(s.m, id)
		}
	}
}

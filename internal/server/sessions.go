package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/huella/huella/internal/atomicfile"
)

// Sessions survive a restart of the server: they are kept in
// DIR/sessions.json (mode 0600), rewritten atomically at each login and
// logout:
//
//	{
//	  "format": "huella sessions v1",
//	  "sessions": [
//	    {"token_sha256": "<64 hex>", "user": "ana", "role": "custodian", "expires": "2026-11-27T16:00:00Z"}
//	  ]
//	}
//
// The file holds the SHA-256 of each session token, never the token: reading
// it does not let anyone act as a logged-in user. The CSRF token of a
// session is HMAC-SHA256(token, "huella csrf v1"), base64url: it is derived,
// not stored, and does not reveal the token. Expired sessions are dropped
// when the file is read and at each login; logout deletes the session.
// When the file is read, a session whose account is gone is dropped, and
// the others take the account's current role.

// SessionsFormat is the "format" field of sessions.json.
const SessionsFormat = "huella sessions v1"

// SessionsPath is the session file of a workspace.
func SessionsPath(dir string) string { return filepath.Join(dir, "sessions.json") }

type session struct {
	token   string // only in memory, for logout; "" for sessions read from disk
	hash    string // hex SHA-256 of the token
	user    string
	role    Role
	csrf    string
	expires time.Time
}

type sessions struct {
	mu   sync.Mutex
	path string              // "" keeps them in memory only
	m    map[string]*session // by hash
}

type sessionRecord struct {
	TokenSHA256 string `json:"token_sha256"`
	User        string `json:"user"`
	Role        string `json:"role"`
	Expires     string `json:"expires"`
}

type sessionsFile struct {
	Format   string          `json:"format"`
	Sessions []sessionRecord `json:"sessions"`
}

const sessionCookie = "huella_session"
const sessionTTL = 12 * time.Hour

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenHash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func csrfFor(token string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("huella csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// open reads the session file at path (absent: no sessions) and keeps the
// sessions of accounts that still exist, with their current roles.
func (ss *sessions) open(path string, users *Users) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.path, ss.m = path, map[string]*session{}
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	var f sessionsFile
	if err := json.Unmarshal(b, &f); err != nil || f.Format != SessionsFormat {
		// A damaged file only costs everyone a login.
		return ss.saveLocked()
	}
	accounts, err := users.load()
	if err != nil {
		return err
	}
	now := time.Now()
	for _, r := range f.Sessions {
		exp, err := time.Parse(time.RFC3339, r.Expires)
		u, ok := accounts[r.User]
		if err != nil || !now.Before(exp) || !ok || len(r.TokenSHA256) != 64 {
			continue
		}
		role, err := ParseRole(u.Role)
		if err != nil {
			continue
		}
		ss.m[r.TokenSHA256] = &session{hash: r.TokenSHA256, user: r.User, role: role, expires: exp}
	}
	return nil
}

// saveLocked rewrites the session file (ss.mu held).
func (ss *sessions) saveLocked() error {
	if ss.path == "" {
		return nil
	}
	f := sessionsFile{Format: SessionsFormat, Sessions: []sessionRecord{}}
	for _, s := range ss.m {
		f.Sessions = append(f.Sessions, sessionRecord{TokenSHA256: s.hash, User: s.user, Role: s.role.String(), Expires: s.expires.UTC().Format(time.RFC3339)})
	}
	sort.Slice(f.Sessions, func(i, j int) bool { return f.Sessions[i].Expires < f.Sessions[j].Expires })
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(ss.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("sessions: %w", err)
	}
	return nil
}

// create starts a session; the error is about saving it (the session
// works regardless, until a restart).
func (ss *sessions) create(user string, role Role) (*session, error) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[string]*session{}
	}
	now := time.Now()
	for k, v := range ss.m {
		if !now.Before(v.expires) {
			delete(ss.m, k)
		}
	}
	tok := randomToken()
	// Whole seconds: what the file keeps.
	s := &session{token: tok, hash: tokenHash(tok), user: user, role: role, csrf: csrfFor(tok), expires: now.Add(sessionTTL).Truncate(time.Second)}
	ss.m[s.hash] = s
	return s, ss.saveLocked()
}

func (ss *sessions) get(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	h := tokenHash(c.Value)
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s := ss.m[h]
	if s == nil || !time.Now().Before(s.expires) {
		return nil
	}
	if s.token == "" { // read from disk: the cookie is the token
		s.token, s.csrf = c.Value, csrfFor(c.Value)
	}
	return s
}

// drop ends the session with this token.
func (ss *sessions) drop(token string) error {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	h := tokenHash(token)
	if _, ok := ss.m[h]; !ok {
		return nil
	}
	delete(ss.m, h)
	return ss.saveLocked()
}

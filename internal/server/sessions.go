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
//	    {"token_sha256": "<64 hex>", "user": "ana", "role": "custodian",
//	     "credential_sha256": "<64 hex>", "expires": "2026-11-27T16:00:00Z"}
//	  ]
//	}
//
// The file holds the SHA-256 of each session token, never the token: reading
// it does not let anyone act as a logged-in user. The CSRF token of a
// session is HMAC-SHA256(token, "huella csrf v1"), base64url: it is derived,
// not stored, and does not reveal the token. Expired sessions are dropped
// when the file is read and at each login; logout deletes the session.
// credential_sha256 is the SHA-256 of the account's password hash when the
// session began.
//
// Every request checks the session's account in users.json as it is now
// (re-read when it changes, so that "huella user" acts on a running
// server): a session ends when its account is removed or its password
// replaced, and takes the account's current role at once — a custodian
// made viewer is a viewer from the next request, not from the next login.

// SessionsFormat is the "format" field of sessions.json.
const SessionsFormat = "huella sessions v1"

// SessionsPath is the session file of a workspace.
func SessionsPath(dir string) string { return filepath.Join(dir, "sessions.json") }

type session struct {
	token      string // only in memory, for logout; "" for sessions read from disk
	hash       string // hex SHA-256 of the token
	user       string
	role       Role
	credential string // hex SHA-256 of the account's password hash at login
	csrf       string
	expires    time.Time
}

// credentialOf is what a session remembers of an account's password: the
// SHA-256 of its hash (not the hash, which the session file must not copy).
func credentialOf(u User) string {
	h := sha256.Sum256([]byte(u.Hash))
	return hex.EncodeToString(h[:])
}

type sessions struct {
	mu   sync.Mutex
	path string              // "" keeps them in memory only
	m    map[string]*session // by hash
}

type sessionRecord struct {
	TokenSHA256      string `json:"token_sha256"`
	User             string `json:"user"`
	Role             string `json:"role"`
	CredentialSHA256 string `json:"credential_sha256"`
	Expires          string `json:"expires"`
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
		// A session without its credential (an older file) is dropped: it
		// could not be ended by a new password.
		if err != nil || !now.Before(exp) || !ok || len(r.TokenSHA256) != 64 || r.CredentialSHA256 != credentialOf(u) {
			continue
		}
		role, err := ParseRole(u.Role)
		if err != nil {
			continue
		}
		ss.m[r.TokenSHA256] = &session{hash: r.TokenSHA256, user: r.User, role: role, credential: r.CredentialSHA256, expires: exp}
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
		f.Sessions = append(f.Sessions, sessionRecord{TokenSHA256: s.hash, User: s.user, Role: s.role.String(),
			CredentialSHA256: s.credential, Expires: s.expires.UTC().Format(time.RFC3339)})
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
func (ss *sessions) create(u User, role Role) (*session, error) {
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
	s := &session{token: tok, hash: tokenHash(tok), user: u.Name, role: role, credential: credentialOf(u),
		csrf: csrfFor(tok), expires: now.Add(sessionTTL).Truncate(time.Second)}
	ss.m[s.hash] = s
	return s, ss.saveLocked()
}

// get returns the request's session, checked against the accounts as they
// are now: nil (and the session ended) when its account is gone or has a
// new password, else with the account's current role.
func (ss *sessions) get(r *http.Request, users *Users) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil
	}
	h := tokenHash(c.Value)
	ss.mu.Lock()
	s := ss.m[h]
	ss.mu.Unlock()
	if s == nil || !time.Now().Before(s.expires) {
		return nil
	}
	accounts, err := users.load()
	if err != nil {
		return nil // an unreadable account file lets no one in
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m[h] != s {
		return nil // ended meanwhile
	}
	u, ok := accounts[s.user]
	role, err := ParseRole(u.Role)
	if !ok || err != nil || credentialOf(u) != s.credential {
		delete(ss.m, h)
		ss.saveLocked() // a failed save only leaves a session that open drops
		return nil
	}
	if s.token == "" { // read from disk: the cookie is the token
		s.token, s.csrf = c.Value, csrfFor(c.Value)
	}
	s.role = role // the file keeps the role at login; open corrects it
	cp := *s      // the request's own: later changes do not race with it
	return &cp
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

package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/huella/huella/internal/atomicfile"

	"golang.org/x/crypto/argon2"
)

// Role is what a user may do. Each role includes the ones before it.
type Role int

const (
	RoleNone         Role = iota // not logged in
	RoleViewer                   // reads cases, releases and the ledger
	RoleInvestigator             // + uploads leaks, writes notes, publishes exposure sets
	RoleCustodian                // + issues and downloads releases
)

var roleNames = []string{"", "viewer", "investigator", "custodian"}

func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return fmt.Sprintf("role(%d)", int(r))
	}
	return roleNames[r]
}

// ParseRole reads "viewer", "investigator" or "custodian".
func ParseRole(s string) (Role, error) {
	for i, n := range roleNames {
		if i > 0 && n == s {
			return Role(i), nil
		}
	}
	return RoleNone, fmt.Errorf("unknown role %q (want viewer, investigator or custodian)", s)
}

// UsersFormat is the "format" field of users.json.
const UsersFormat = "huella users v1"

// Argon2id parameters for new hashes (RFC 9106 second recommended option,
// 64 MiB, 3 passes). A hash records its own parameters, so they can change;
// tests lower them to stay fast.
var (
	argonTime    uint32 = 3
	argonMemory  uint32 = 64 * 1024
	argonThreads uint8  = 2
)

const argonKeyLen = 32

// User is one account; Hash is "argon2id$v=19$m=65536,t=3,p=2$SALT$KEY"
// with base64 (raw, standard alphabet) salt and key.
type User struct {
	Name    string `json:"name"`
	Role    string `json:"role"`
	Hash    string `json:"hash"`
	Created string `json:"created"`
}

type usersFile struct {
	Format string `json:"format"`
	Users  []User `json:"users"`
}

// Users is the account file DIR/users.json. It is re-read when it changes on
// disk, so "huella user add" and "huella user remove" take effect in a
// running server (see sessions.get).
type Users struct {
	path string
	mu   sync.Mutex
	mod  time.Time
	size int64
	m    map[string]User
}

// UsersPath is the account file of a workspace.
func UsersPath(dir string) string { return filepath.Join(dir, "users.json") }

// OpenUsers opens the account file of workspace dir (it may not exist yet).
func OpenUsers(dir string) *Users { return &Users{path: UsersPath(dir)} }

func (u *Users) load() (map[string]User, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	fi, err := os.Stat(u.path)
	if errors.Is(err, os.ErrNotExist) {
		u.m = map[string]User{}
		return u.m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	if u.m != nil && fi.ModTime().Equal(u.mod) && fi.Size() == u.size {
		return u.m, nil
	}
	b, err := os.ReadFile(u.path)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	var f usersFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("users: %s: %w", u.path, err)
	}
	if f.Format != UsersFormat {
		return nil, fmt.Errorf("users: %s: format %q, expected %q", u.path, f.Format, UsersFormat)
	}
	m := make(map[string]User, len(f.Users))
	for _, x := range f.Users {
		m[x.Name] = x
	}
	u.m, u.mod, u.size = m, fi.ModTime(), fi.Size()
	return m, nil
}

// List returns the accounts sorted by name.
func (u *Users) List() ([]User, error) {
	m, err := u.load()
	if err != nil {
		return nil, err
	}
	out := make([]User, 0, len(m))
	for _, x := range m {
		out = append(out, x)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ValidUserName accepts 1-64 characters of letters, digits, '.', '-', '_', '@'.
func ValidUserName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("user name must have 1 to 64 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".-_@", r)) {
			return fmt.Errorf("user name %q: only letters, digits and . - _ @", name)
		}
	}
	return nil
}

// Set adds or replaces an account; the file is rewritten atomically under
// an flock on users.json.lock so two "huella user add" do not lose one.
func (u *Users) Set(name string, role Role, password string) error {
	if err := ValidUserName(name); err != nil {
		return err
	}
	if role == RoleNone {
		return fmt.Errorf("user %s: no role", name)
	}
	if len(password) < 8 {
		return fmt.Errorf("user %s: password shorter than 8 characters", name)
	}
	hash, err := hashPassword(password)
	if err != nil {
		return err
	}
	return u.update(func(m map[string]User) {
		m[name] = User{Name: name, Role: role.String(), Hash: hash, Created: time.Now().UTC().Format(time.RFC3339)}
	})
}

// Remove deletes an account; a running server ends its sessions at their
// next request. It reports whether the account existed.
func (u *Users) Remove(name string) (bool, error) {
	found := false
	err := u.update(func(m map[string]User) {
		_, found = m[name]
		delete(m, name)
	})
	return found, err
}

// update rewrites the account file with edit applied to a copy of its
// accounts, atomically and under an flock on users.json.lock, so that two
// "huella user" commands do not lose one another's change.
func (u *Users) update(edit func(m map[string]User)) error {
	lf, err := os.OpenFile(u.path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("users: %w", err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("users: lock: %w", err)
	}
	u.mu.Lock()
	u.m = nil // force a re-read under the lock
	u.mu.Unlock()
	m, err := u.load()
	if err != nil {
		return err
	}
	m2 := make(map[string]User, len(m)+1)
	for k, v := range m {
		m2[k] = v
	}
	edit(m2)
	f := usersFile{Format: UsersFormat, Users: []User{}}
	for _, x := range m2 {
		f.Users = append(f.Users, x)
	}
	sort.Slice(f.Users, func(i, j int) bool { return f.Users[i].Name < f.Users[j].Name })
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := atomicfile.Write(u.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	u.mu.Lock()
	u.m = nil
	u.mu.Unlock()
	return nil
}

// dummyHash is verified against when the user does not exist, so a login
// takes the same time whether or not the name is known.
var dummyHash = sync.OnceValue(func() string {
	h, _ := hashPassword("no such user, no such password")
	return h
})

// Authenticate returns the user's role if the password matches.
func (u *Users) Authenticate(name, password string) (Role, bool) {
	_, r, ok := u.authenticate(name, password)
	return r, ok
}

// authenticate is Authenticate that also returns the account.
func (u *Users) authenticate(name, password string) (User, Role, bool) {
	m, err := u.load()
	if err != nil {
		return User{}, RoleNone, false
	}
	x, ok := m[name]
	if !ok {
		verifyPassword(dummyHash(), password)
		return User{}, RoleNone, false
	}
	if !verifyPassword(x.Hash, password) {
		return User{}, RoleNone, false
	}
	r, err := ParseRole(x.Role)
	if err != nil {
		return User{}, RoleNone, false
	}
	return x, r, true
}

func hashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

func verifyPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 5 || parts[0] != "argon2id" || parts[1] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m > 1<<18 || t > 16 || p == 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[3])
	key, err2 := enc.DecodeString(parts[4])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

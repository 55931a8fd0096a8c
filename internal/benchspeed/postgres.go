package benchspeed

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrNoPostgres is returned by FindPostgres when PostgreSQL 15 is not
// installed.
var ErrNoPostgres = errors.New("PostgreSQL 15 is not installed (no initdb, pg_ctl, psql)")

// PostgresInstallHint says how to install what FindPostgres looks for.
const PostgresInstallHint = "install it with: apt-get install -y postgresql (binaries in /usr/lib/postgresql/15/bin), or pass --no-postgres"

// FindPostgres returns the folder of PostgreSQL 15's server binaries:
// dir if not empty, else /usr/lib/postgresql/15/bin, else the folder of
// the initdb found on $PATH.
func FindPostgres(dir string) (string, error) {
	cands := []string{dir}
	if dir == "" {
		cands = []string{"/usr/lib/postgresql/15/bin"}
		if p, err := exec.LookPath("initdb"); err == nil {
			if r, err := filepath.EvalSymlinks(p); err == nil {
				p = r
			}
			cands = append(cands, filepath.Dir(p))
		}
	}
	for _, d := range cands {
		ok := true
		for _, b := range []string{"initdb", "pg_ctl", "psql", "postgres"} {
			if _, err := os.Stat(filepath.Join(d, b)); err != nil {
				ok = false
			}
		}
		if ok {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

// Postgres is a throw-away PostgreSQL cluster in a folder of its own,
// listening on 127.0.0.1 on a free port and on a unix socket in its folder,
// with trust authentication for the superuser "postgres". When the process
// runs as root, the server runs as the system user "postgres" (initdb
// refuses root) through runuser, and owns its folder.
type Postgres struct {
	Bin, Dir string
	Port     int
	Version  string
	as       []string // command prefix that runs a server binary as its user
}

// postgresSettings tune the cluster the way an analyst loading a large
// file would: no WAL for a table created and filled in one transaction,
// room for sorting (index builds) and hashing (joins), no autovacuum
// running behind the measured statements (ANALYZE is explicit).
var postgresSettings = []string{
	"shared_buffers = 1GB",
	"work_mem = 256MB",
	"maintenance_work_mem = 1GB",
	"wal_level = minimal",
	"max_wal_senders = 0",
	"max_wal_size = 8GB",
	"checkpoint_timeout = 30min",
	"autovacuum = off",
}

// StartPostgres creates a cluster in parent/pg and starts it.
func StartPostgres(ctx context.Context, bin, parent string) (*Postgres, error) {
	p := &Postgres{Bin: bin, Dir: filepath.Join(parent, "pg")}
	if err := os.Mkdir(p.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("postgres: running as root, initdb needs the system user postgres: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(p.Dir, uid, gid); err != nil {
			return nil, fmt.Errorf("postgres: %w", err)
		}
		p.as = []string{"runuser", "-u", "postgres", "--"}
		if err := serverCanRead(p.as, p.Dir); err != nil {
			return nil, err
		}
	}
	if out, err := p.server(ctx, "initdb", "-D", p.Dir, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		return nil, fmt.Errorf("postgres: initdb: %w\n%s", err, out)
	}
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	p.Port = port
	conf := append([]string{
		"listen_addresses = '127.0.0.1'",
		"port = " + strconv.Itoa(port),
		"unix_socket_directories = '" + p.Dir + "'",
	}, postgresSettings...)
	f, err := os.OpenFile(filepath.Join(p.Dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	_, err = f.WriteString("\n# huella bench speed\n" + strings.Join(conf, "\n") + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if out, err := p.server(ctx, "pg_ctl", "-D", p.Dir, "-l", filepath.Join(p.Dir, "server.log"), "-w", "-t", "120", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(p.Dir, "server.log"))
		return nil, fmt.Errorf("postgres: pg_ctl start: %w\n%s%s", err, out, log)
	}
	if out, err := exec.CommandContext(ctx, filepath.Join(bin, "postgres"), "--version").Output(); err == nil {
		p.Version = strings.TrimSpace(string(out))
	}
	return p, nil
}

// server runs one of the server's binaries as the server's user.
func (p *Postgres) server(ctx context.Context, name string, args ...string) ([]byte, error) {
	argv := append(append(append([]string{}, p.as...), filepath.Join(p.Bin, name)), args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = "/"
	return cmd.CombinedOutput()
}

// Stop stops the server (fast shutdown) and removes its folder.
func (p *Postgres) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := p.server(ctx, "pg_ctl", "-D", p.Dir, "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("postgres: pg_ctl stop: %w\n%s", err, out)
	}
	return os.RemoveAll(p.Dir)
}

// CanRead checks that the server can read the file at path (COPY FROM a
// file is done by the server, as its user), making it and its folders
// readable by others when this process owns them.
func (p *Postgres) CanRead(path string) error {
	if len(p.as) == 0 {
		return nil
	}
	if err := os.Chmod(path, 0o644); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return serverCanRead(p.as, path)
}

func serverCanRead(as []string, path string) error {
	argv := append(append([]string{}, as...), "test", "-r", path)
	if err := exec.Command(argv[0], argv[1:]...).Run(); err != nil {
		return fmt.Errorf("postgres: the server's user cannot read %s (%v): choose a work folder every user can enter, e.g. under /tmp", path, err)
	}
	return nil
}

// DiskMB is the size of the cluster's table and index files, in MiB.
func (p *Postgres) DiskMB() float64 {
	var n int64
	filepath.WalkDir(filepath.Join(p.Dir, "base"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return float64(n) / (1 << 20)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// SQLRun is what one psql session measured.
type SQLRun struct {
	Wall       float64   // seconds, psql started to psql exited
	Statements []float64 // seconds per timed statement, in order (psql \timing)
	BackendCPU float64   // the session's backend: user + system seconds
	BackendHWM float64   // the session's backend: peak RSS, MiB
	Rows       [][]string
}

// Exec runs statements in one psql session, each timed (\timing), and
// returns the rows of every statement that returns rows (fields split on
// "|"). The backend's CPU time and peak RSS are read from /proc at the end
// of the session (parallel workers, if the planner used any, are not
// counted).
func (p *Postgres) Exec(ctx context.Context, statements ...string) (*SQLRun, error) {
	var script strings.Builder
	script.WriteString("\\set ON_ERROR_STOP 1\n\\pset format unaligned\n\\pset tuples_only on\n")
	script.WriteString("SELECT pg_backend_pid() AS huella_pid \\gset\n\\setenv HUELLA_PID :huella_pid\n\\timing on\n")
	for _, s := range statements {
		script.WriteString(strings.TrimRight(s, "; \n") + ";\n")
	}
	script.WriteString("\\timing off\n\\echo @@proc\n\\! cat /proc/$HUELLA_PID/stat; grep VmHWM /proc/$HUELLA_PID/status\n")
	cmd := exec.CommandContext(ctx, filepath.Join(p.Bin, "psql"), "-X", "-q", "-h", "127.0.0.1", "-p", strconv.Itoa(p.Port), "-U", "postgres", "-d", "postgres", "-f", "-")
	cmd.Stdin = strings.NewReader(script.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	t0 := time.Now()
	out, err := cmd.Output()
	run := &SQLRun{Wall: time.Since(t0).Seconds()}
	if err != nil {
		return nil, fmt.Errorf("psql: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	inProc := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "@@proc":
			inProc = true
		case inProc && strings.HasPrefix(line, "VmHWM:"):
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseFloat(f[1], 64)
				run.BackendHWM = kb / 1024
			}
		case inProc:
			// /proc/PID/stat: utime and stime are fields 14 and 15, in
			// clock ticks (100 a second on Linux), counted after "comm)".
			if i := strings.LastIndexByte(line, ')'); i >= 0 {
				f := strings.Fields(line[i+1:])
				if len(f) > 12 {
					u, _ := strconv.ParseFloat(f[11], 64)
					s, _ := strconv.ParseFloat(f[12], 64)
					run.BackendCPU = (u + s) / 100
				}
			}
		case strings.HasPrefix(line, "Time: "):
			f := strings.Fields(line)
			if len(f) >= 3 && f[2] == "ms" {
				ms, err := strconv.ParseFloat(f[1], 64)
				if err == nil {
					run.Statements = append(run.Statements, ms/1000)
				}
			}
		case line != "":
			run.Rows = append(run.Rows, strings.Split(line, "|"))
		}
	}
	if len(run.Statements) != len(statements) {
		return run, fmt.Errorf("psql: %d statements ran, %d timings read:\n%s", len(statements), len(run.Statements), out)
	}
	return run, nil
}

// Package app wires the adapters into the wangge command: it parses flags and
// environment, opens the database, starts the HTTP server and background
// jobs, and closes them in order. End-to-end tests drive it the same way.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/caseflow"
	"github.com/wangge/wangge/internal/httpapi"
	"github.com/wangge/wangge/internal/open311"
	"github.com/wangge/wangge/internal/photo"
	"github.com/wangge/wangge/internal/pii"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/territory"
	"github.com/wangge/wangge/internal/webhook"
	"github.com/wangge/wangge/web"
)

// Version is set at build time with -ldflags "-X .../app.Version=..."; it
// falls back to the module's VCS information.
var Version = ""

func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		rev, dirty := "", false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if rev != "" && dirty {
			rev += "-dirty"
		}
		if rev != "" {
			return rev
		}
		if bi.Main.Version != "" {
			return bi.Main.Version
		}
	}
	return "dev"
}

// usageError is a command-line mistake: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// ExitCode maps an error from Run to a process exit status: 2 for usage and
// invalid input, 1 otherwise.
func ExitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) || wangge.ErrorCode(err) == wangge.EINVALID {
		return 2
	}
	return 1
}

const usage = `wangge — grid-based grassroots governance platform (网格化服务管理平台)

Usage:
  wangge demo     [--addr 127.0.0.1:8080] [--data DIR] [--admin-password P]
                  create the demo county of 宁都县 (once) and serve it
  wangge serve    [--addr ADDR] [--db PATH|postgres://...] [--data DIR] [--migrate]
  wangge migrate  [--db ...]            apply database migrations
  wangge import   divisions --dir DIR [--under CODE]   division code tables
  wangge import   boston311 --dir ../shared/data/boston311   Boston's wards, departments, request types
  wangge import   geojson FILE --level L [--parent CODE] [--crs wgs84|gcj02|bd09] [--update]
  wangge user     add --username U --role R [--units C1,C2] [--name N] [--password P]
  wangge user     list [--role R]
  wangge user     passwd --username U [--password P]
  wangge apikey   create --name N [--sync] | list | revoke --name N   Open311 API keys
  wangge replay   boston311 --dir DIR --target http://HOST:PORT --api-key K [--speed 0] [--clients 16] [--report FILE]
  wangge bench    intake|locate|scheduler [--json] [--target URL --api-key K]   load benchmarks
  wangge gen      --grids N --cases M [--db ...] [--seed S] [--now RFC3339]   a synthetic province for scale tests
  wangge version

Every flag has an environment variable: --addr WANGGE_ADDR, --db WANGGE_DB,
--data WANGGE_DATA, and WANGGE_KEY holds the base64 personal-data key
(otherwise DATA/wangge.key). Passwords not given on the command line are read
from WANGGE_PASSWORD or, interactively, from standard input.
`

// Run runs one wangge command.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError{"no command given"}
	}
	env := &Env{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	switch args[0] {
	case "serve":
		return env.serveCmd(ctx, args[1:])
	case "demo":
		return env.demoCmd(ctx, args[1:])
	case "migrate":
		return env.migrateCmd(ctx, args[1:])
	case "import":
		return env.importCmd(ctx, args[1:])
	case "user":
		return env.userCmd(ctx, args[1:])
	case "replay":
		return env.replayCmd(ctx, args[1:])
	case "apikey":
		return env.apikeyCmd(ctx, args[1:])
	case "bench":
		return env.benchCmd(ctx, args[1:])
	case "gen":
		return env.genCmd(ctx, args[1:])
	case "version":
		fmt.Fprintln(stdout, "wangge", version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return usageError{fmt.Sprintf("unknown command %q", args[0])}
}

// Env carries the process's standard streams.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Config is what every command shares.
type Config struct {
	Addr     string
	DB       string
	Data     string
	LogLevel string
}

func getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func (c *Config) flags(fs *flag.FlagSet, defaultData string) {
	fs.StringVar(&c.Addr, "addr", getenv("WANGGE_ADDR", "127.0.0.1:8080"), "listen address (WANGGE_ADDR)")
	fs.StringVar(&c.DB, "db", getenv("WANGGE_DB", ""), "SQLite file or postgres:// URL (WANGGE_DB); default DATA/wangge.db")
	fs.StringVar(&c.Data, "data", getenv("WANGGE_DATA", defaultData), "data directory: SQLite file, key, uploads (WANGGE_DATA)")
	fs.StringVar(&c.LogLevel, "log-level", getenv("WANGGE_LOG_LEVEL", "info"), "debug, info, warn or error")
}

func (c *Config) dsn() string {
	if c.DB != "" {
		return c.DB
	}
	return filepath.Join(c.Data, "wangge.db")
}

func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	return nil
}

func (env *Env) logger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(env.Stderr, &slog.HandlerOptions{Level: l}))
}

// openDB opens the database and loads the personal-data key (creating the
// key file if create is set and there is none).
func (env *Env) openDB(ctx context.Context, c *Config, createKey bool, log *slog.Logger) (*sqlstore.DB, error) {
	db, err := sqlstore.Open(ctx, c.dsn())
	if err != nil {
		return nil, err
	}
	keyPath := filepath.Join(c.Data, "wangge.key")
	keys, created, err := pii.Load(keyPath, createKey)
	if err != nil {
		db.Close()
		return nil, err
	}
	if created {
		log.Warn("generated a new personal-data key: back it up; without it ID numbers and phones cannot be read", "file", keyPath)
	}
	db.Keys = keys
	return db, nil
}

// openCurrent opens the database for a command that needs no personal-data
// key, and refuses a schema that does not match the binary.
func openCurrent(ctx context.Context, c *Config) (*sqlstore.DB, error) {
	db, err := sqlstore.Open(ctx, c.dsn())
	if err != nil {
		return nil, err
	}
	if err := db.CheckSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// System returns a context acting as the built-in administrator, for
// commands run by the operator of the machine.
func System(ctx context.Context) context.Context {
	return wangge.NewContextWithUser(ctx, &wangge.User{Username: "system", Role: wangge.RoleAdmin})
}

func (env *Env) migrateCmd(ctx context.Context, args []string) error {
	var c Config
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	c.flags(fs, "wangge-data")
	if err := parse(fs, args, env.Stderr); err != nil {
		return err
	}
	db, err := sqlstore.Open(ctx, c.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	have, _, err := db.SchemaVersion(ctx)
	fmt.Fprintf(env.Stdout, "applied %d migration(s); schema at version %d (%s)\n", n, have, db.Dialect())
	return err
}

// setMemoryLimit gives the garbage collector a soft limit, unless
// GOMEMLIMIT sets one, and returns it. Left alone, the collector lets the
// heap grow to twice what is live: at province scale the locator alone
// holds 600 MB (a million grids), so the server would drift to 1.3 GB of
// heap under traffic. The locator's memory is a few large pointer-free
// arrays that a collection does not scan, so collecting more often is
// cheap; the limit leaves a quarter of the live heap plus 256 MB for the
// requests, and never less than 1 GiB, which a county's server never nears.
func setMemoryLimit() int64 {
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		return debug.SetMemoryLimit(-1)
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m) // the locator's build has just collected, so this is about what is live
	limit := max(1<<30, int64(m.HeapAlloc)*5/4+256<<20)
	debug.SetMemoryLimit(limit)
	return limit
}

// Server is a running wangge server: the database, the point locator, the
// HTTP server and its background jobs.
type Server struct {
	DB      *sqlstore.DB
	Locator *territory.Locator
	API     *httpapi.Server
	URL     string // http://host:port once listening
	Logger  *slog.Logger

	http     *http.Server
	listener net.Listener
	tempDir  string // removed on Close: files of a server started without a data directory
	cancel   context.CancelFunc
	done     chan struct{}
}

// Start opens the listener and serves in the background. The database must
// be open, migrated and current.
func Start(ctx context.Context, db *sqlstore.DB, addr string, log *slog.Logger) (*Server, error) {
	return StartWith(ctx, db, addr, "", log)
}

// StartWith is Start with a data directory for files (photos); empty keeps
// them in a temporary directory, as tests do.
func StartWith(ctx context.Context, db *sqlstore.DB, addr, dataDir string, log *slog.Logger) (*Server, error) {
	if err := db.CheckSchema(ctx); err != nil {
		return nil, err
	}
	loc := territory.New(db)
	loc.Logger = log
	if err := loc.Rebuild(ctx, true); err != nil {
		return nil, err
	}
	db.UnitNames = loc.Name
	cases := caseflow.New(db, loc)
	cases.Logger = log
	api := httpapi.New(db, loc, cases, log, version())
	(&open311.Handler{DB: db, Cases: cases, Now: db.Now, Logger: log}).Register(api)
	api.Handle("/", web.Handler(web.ConfigFromEnv())) // the pages; /api/ and /open311/ are more specific and keep precedence
	tempDir := ""
	if dataDir == "" {
		d, err := os.MkdirTemp("", "wangge-photos-")
		if err != nil {
			return nil, err
		}
		dataDir, tempDir = d, d
	}
	api.Photos = &photo.Store{Dir: filepath.Join(dataDir, "photos")}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &Server{DB: db, Locator: loc, API: api, Logger: log, listener: ln, cancel: cancel, done: make(chan struct{}), tempDir: tempDir,
		URL: "http://" + ln.Addr().String(),
		http: &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute,
			ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}}
	s.http.RegisterOnShutdown(api.CloseStreams)
	go loc.Watch(bg, 15*time.Second)
	go cases.Run(bg, caseflow.Interval, db.Now)
	if db.Dialect() == sqlstore.Postgres {
		// Live events of the other servers on this database (SSE).
		go func() {
			if err := cases.Relay(bg, nil); err != nil {
				log.Error("relay of live events", "err", err)
			}
		}()
		// Changes of the catalogue, calendars, units, keys and routing
		// made through the other servers.
		go func() {
			if err := cases.WatchConfig(bg, nil); err != nil {
				log.Error("watch for configuration changes", "err", err)
			}
		}()
	}
	go webhook.New(db, log).Run(bg, 2*time.Second)
	go db.FoldStatsEvery(bg, 250*time.Millisecond, log) // statistics are exact without it; folding keeps them fast
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-bg.Done():
				return
			case <-t.C:
				if err := db.Optimize(bg); err != nil {
					log.Warn("optimize", "err", err)
				}
			}
		}
	}()
	go func() {
		defer close(s.done)
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server", "err", err)
		}
	}()
	return s, nil
}

// Close stops accepting requests, waits for those in flight (up to 10 s),
// stops the background jobs and closes the database.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := s.http.Shutdown(ctx)
	<-s.done
	s.cancel()
	if s.tempDir != "" {
		err = errors.Join(err, os.RemoveAll(s.tempDir))
	}
	return errors.Join(err, s.DB.Close())
}

func (env *Env) serveCmd(ctx context.Context, args []string) error {
	var c Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.flags(fs, "wangge-data")
	migrate := fs.Bool("migrate", false, "apply pending migrations before serving")
	if err := parse(fs, args, env.Stderr); err != nil {
		return err
	}
	log := env.logger(c.LogLevel)
	db, err := env.openDB(ctx, &c, true, log)
	if err != nil {
		return err
	}
	if *migrate {
		if _, err := db.Migrate(ctx); err != nil {
			db.Close()
			return err
		}
	}
	srv, err := StartWith(ctx, db, c.Addr, c.Data, log)
	if err != nil {
		db.Close()
		return err
	}
	limit := setMemoryLimit()
	log.Info("serving", "url", srv.URL, "db", db.Dialect(), "version", version(), "memory_limit_mb", limit>>20)
	<-ctx.Done()
	log.Info("shutting down")
	return srv.Close()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

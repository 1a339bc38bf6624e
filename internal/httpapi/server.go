// Package httpapi is the JSON API under /api/v1/, with health, readiness,
// metrics and the OpenAPI document. Handlers return errors to one function
// that writes them; every route is listed in one table (routes.go).
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/caseflow"
	"github.com/wangge/wangge/internal/photo"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/territory"
)

// DefaultMaxBody bounds request bodies unless a route says otherwise.
const DefaultMaxBody = 1 << 20

// SessionCookie is the name of the web session cookie.
const SessionCookie = "wangge_session"

// Server serves the HTTP API.
type Server struct {
	DB      *sqlstore.DB
	Locator *territory.Locator
	Cases   *caseflow.Service
	Photos  *photo.Store
	Logger  *slog.Logger
	Version string

	mux     *http.ServeMux
	metrics *metrics
	logins  *limiter
	reports *limiter // anonymous reports per client address
	routes  []route

	closing   chan struct{} // closed when the server shuts down: streams end
	closeOnce sync.Once
}

// CloseStreams ends the live streams (SSE) in progress, so that a shutdown
// does not wait for clients that never hang up; browsers reconnect, to
// another server if there is one. Register it with
// http.Server.RegisterOnShutdown.
func (s *Server) CloseStreams() { s.closeOnce.Do(func() { close(s.closing) }) }

// New builds a server and registers every route.
func New(db *sqlstore.DB, loc *territory.Locator, cases *caseflow.Service, logger *slog.Logger, version string) *Server {
	s := &Server{DB: db, Locator: loc, Cases: cases, Logger: logger, Version: version, mux: http.NewServeMux(), metrics: newMetrics(), logins: newLimiter(10, time.Minute), reports: newLimiter(20, time.Hour),
		closing: make(chan struct{})}
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.handle(rt))
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, map[string]string{"status": "ok"}) })
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.metrics)
	s.mux.HandleFunc("GET /api/v1/openapi.json", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, 200, s.OpenAPI()) })
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, wangge.Errorf(wangge.ENOTFOUND, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	s.metrics.gauge("wangge_locator_units", func() float64 { return float64(loc.Len()) })
	return s
}

// Handle adds another handler to the server's mux (the web UI, Open311).
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP serves a request, recording metrics and recovering from panics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w, status: 200}
	defer func() {
		if p := recover(); p != nil {
			s.Logger.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			if !sw.wrote {
				s.writeError(sw, r, fmt.Errorf("panic: %v", p))
			}
		}
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		d := time.Since(start)
		s.metrics.observe(route, sw.status, d)
		s.Logger.Debug("request", "method", r.Method, "path", r.URL.Path, "status", sw.status, "ms", d.Milliseconds())
	}()
	w.Header().Set("X-Content-Type-Options", "nosniff")
	s.mux.ServeHTTP(sw, r)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// handle wraps a route: body limit, authentication, CSRF check for cookie
// sessions, and the error writer.
func (s *Server) handle(rt route) http.Handler {
	limit := rt.MaxBody
	if limit == 0 {
		limit = DefaultMaxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if rt.Auth {
			u, viaCookie, err := s.authenticate(r)
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			if viaCookie && !safeMethod(r.Method) && !sameOrigin(r) {
				s.writeError(w, r, wangge.Errorf(wangge.EFORBIDDEN, "cross-site request refused"))
				return
			}
			r = r.WithContext(wangge.NewContextWithUser(r.Context(), u))
		}
		if err := rt.h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authenticate finds the user of a bearer token or a session cookie.
func (s *Server) authenticate(r *http.Request) (u *wangge.User, viaCookie bool, err error) {
	token, ok := bearer(r)
	if !ok {
		c, err := r.Cookie(SessionCookie)
		if err != nil || c.Value == "" {
			return nil, false, wangge.Errorf(wangge.EUNAUTHORIZED, "login required")
		}
		token, viaCookie = c.Value, true
	}
	u, err = s.DB.Authenticate(r.Context(), strings.TrimSpace(token))
	return u, viaCookie, err
}

func bearer(r *http.Request) (string, bool) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return strings.TrimSpace(token), ok && token != ""
}

func safeMethod(m string) bool { return m == "GET" || m == "HEAD" || m == "OPTIONS" }

// sameOrigin accepts a cookie-authenticated write only from the site's own
// pages: browsers send Sec-Fetch-Site, and older ones at least Origin.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" {
		return site == "same-origin"
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	host := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
	return host == r.Host
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.DB.CheckSchema(ctx); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "not ready", "reason": err.Error()})
		return
	}
	writeJSON(w, 200, map[string]any{"status": "ready", "units_indexed": s.Locator.Len(), "version": s.Version})
}

// limiter allows n events per window per key (a client IP).
type limiter struct {
	mu     sync.Mutex
	n      int
	window time.Duration
	seen   map[string][]time.Time
}

func newLimiter(n int, window time.Duration) *limiter {
	return &limiter{n: n, window: window, seen: map[string][]time.Time{}}
}

func (l *limiter) allow(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.seen) > 100000 { // bound memory under a flood of addresses
		l.seen = map[string][]time.Time{}
	}
	ts := l.seen[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) > l.window {
		i++
	}
	ts = ts[i:]
	if len(ts) >= l.n {
		l.seen[key] = ts
		return false
	}
	l.seen[key] = append(ts, now)
	return true
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// intParam parses an optional integer query parameter.
func intParam(r *http.Request, name string) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, wangge.FieldError(name, "must be a non-negative integer")
	}
	return n, nil
}

func idParam(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n <= 0 {
		return 0, wangge.Errorf(wangge.ENOTFOUND, "not found")
	}
	return n, nil
}

func pageParams(r *http.Request) (limit, offset int, err error) {
	if limit, err = intParam(r, "limit"); err != nil {
		return
	}
	offset, err = intParam(r, "offset")
	return
}

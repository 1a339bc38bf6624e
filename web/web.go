// Package web serves the people's interfaces — the command centre, the grid
// worker's app, the resident's page and the administration — from files
// embedded in the binary: plain JavaScript modules, CSS and pinned libraries.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
)

//go:embed static
var embedded embed.FS

// Config is what the pages need to know about their deployment.
type Config struct {
	// TileURL is a Leaflet tile template ({z}/{x}/{y}, optional {s}); empty
	// draws the map on unit boundaries alone. Examples: an intranet server,
	// https://tile.openstreetmap.org/{z}/{x}/{y}.png, Tianditu with its key.
	TileURL string `json:"tile_url"`
	// TileCRS is the coordinate system the tiles are drawn in: wgs84 (OSM,
	// Tianditu) or gcj02 (AutoNavi/Amap, Tencent). Boundaries and points
	// are shifted to match.
	TileCRS         string `json:"tile_crs"`
	TileAttribution string `json:"tile_attribution"`
	TileMaxZoom     int    `json:"tile_max_zoom"`
	// Dir, when set, serves the files from this directory on disk instead
	// of the embedded copy, unversioned and uncached (front-end work).
	Dir string `json:"-"`
}

// ConfigFromEnv reads the configuration from WANGGE_TILE_URL,
// WANGGE_TILE_CRS, WANGGE_TILE_ATTRIBUTION, WANGGE_TILE_MAX_ZOOM and
// WANGGE_WEB_DIR.
func ConfigFromEnv() Config {
	c := Config{TileURL: os.Getenv("WANGGE_TILE_URL"), TileCRS: os.Getenv("WANGGE_TILE_CRS"),
		TileAttribution: os.Getenv("WANGGE_TILE_ATTRIBUTION"), Dir: os.Getenv("WANGGE_WEB_DIR")}
	c.TileMaxZoom, _ = strconv.Atoi(os.Getenv("WANGGE_TILE_MAX_ZOOM"))
	return c
}

// pages maps page paths to their HTML file. Each page is a small shell
// that loads its module.
var pages = map[string]string{
	"/":       "index.html",    // staff console: command centre, cases, administration
	"/m/":     "worker.html",   // grid worker's app (PWA)
	"/report": "resident.html", // residents: report, track, rate
}

// asset is one file ready to serve.
type asset struct {
	body, gz []byte
	ctype    string
}

// site is the set of files of one version.
type site struct {
	version string
	assets  map[string]*asset // by path under static/
	config  []byte
	tileSrc string
}

// Handler serves the pages at /, /m/ and /report and their assets under
// /static/VERSION/, where VERSION is a hash of every file: assets are cached
// for a year and a new binary changes their URLs.
func Handler(cfg Config) http.Handler {
	if cfg.TileCRS == "" {
		cfg.TileCRS = "wgs84"
	}
	if cfg.TileMaxZoom == 0 {
		cfg.TileMaxZoom = 18
	}
	h := &handler{cfg: cfg}
	if cfg.Dir == "" {
		sub, err := fs.Sub(embedded, "static")
		if err != nil {
			panic(err)
		}
		s, err := load(sub, cfg, true)
		if err != nil {
			panic(fmt.Sprintf("web: embedded files: %v", err))
		}
		h.fixed = s
	}
	return h
}

type handler struct {
	cfg   Config
	fixed *site
	mu    sync.Mutex
}

// current returns the site to serve: the embedded one, or the files on
// disk read again (development).
func (h *handler) current() (*site, error) {
	if h.fixed != nil {
		return h.fixed, nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return load(os.DirFS(h.cfg.Dir), h.cfg, false)
}

func load(fsys fs.FS, cfg Config, compress bool) (*site, error) {
	s := &site{assets: map[string]*asset{}}
	sum := sha256.New()
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		names = append(names, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	for _, p := range names {
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		sum.Write([]byte(p))
		sum.Write(body)
		a := &asset{body: body, ctype: mime.TypeByExtension(path.Ext(p))}
		if a.ctype == "" {
			a.ctype = "application/octet-stream"
		}
		switch path.Ext(p) {
		case ".js", ".mjs":
			a.ctype = "text/javascript; charset=utf-8"
		case ".webmanifest":
			a.ctype = "application/manifest+json"
		case ".svg":
			a.ctype = "image/svg+xml"
		}
		s.assets[p] = a
	}
	cj, _ := json.Marshal(cfg) // the pages carry it: a new configuration is a new version
	sum.Write(cj)
	s.version = hex.EncodeToString(sum.Sum(nil))[:12]
	if !compress {
		s.version = "dev"
	}
	c := struct {
		Config
		Version string `json:"version"`
		Static  string `json:"static"`
	}{cfg, s.version, "/static/" + s.version}
	s.config, _ = json.Marshal(c)
	if cfg.TileURL != "" {
		s.tileSrc = tileOrigins(cfg.TileURL)
	}
	// HTML and the service worker are templates: they name the versioned
	// asset directory and carry the configuration.
	var urls []string
	for _, p := range names {
		if !strings.HasSuffix(p, ".html") && p != "sw.js" && !strings.HasSuffix(p, ".map") {
			urls = append(urls, c.Static+"/"+p)
		}
	}
	list, _ := json.Marshal(urls)
	for p, a := range s.assets {
		if strings.HasSuffix(p, ".html") || p == "sw.js" || strings.HasSuffix(p, ".webmanifest") {
			b := bytes.ReplaceAll(a.body, []byte("{{STATIC}}"), []byte(c.Static))
			b = bytes.ReplaceAll(b, []byte("{{VERSION}}"), []byte(s.version))
			b = bytes.ReplaceAll(b, []byte("{{CONFIG}}"), s.config)
			b = bytes.ReplaceAll(b, []byte("{{ASSETS}}"), list)
			a.body = b
		}
		if compress && compressible(a.ctype) && len(a.body) > 512 {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			zw.Write(a.body)
			zw.Close()
			if buf.Len() < len(a.body) {
				a.gz = buf.Bytes()
			}
		}
	}
	return s, nil
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/json", "application/manifest", "image/svg"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

// tileOrigins turns a tile template into the origins a Content Security
// Policy must allow for images ({s} subdomains become a wildcard).
func tileOrigins(tmpl string) string {
	scheme, rest, ok := strings.Cut(tmpl, "://")
	if !ok {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(host, "}"); i >= 0 {
		host = "*" + strings.TrimPrefix(host[i+1:], ".")
		if !strings.HasPrefix(host, "*.") {
			host = "*." + strings.TrimPrefix(host, "*")
		}
	}
	return scheme + "://" + host
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s, err := h.current()
	if err != nil {
		http.Error(w, "web files: "+err.Error(), http.StatusInternalServerError)
		return
	}
	p := r.URL.Path
	switch {
	case p == "/m" || p == "/r":
		target := map[string]string{"/m": "/m/", "/r": "/report"}[p]
		http.Redirect(w, r, target, http.StatusMovedPermanently)
		return
	case p == "/m/sw.js":
		w.Header().Set("Service-Worker-Allowed", "/m/")
		w.Header().Set("Cache-Control", "no-cache")
		s.serve(w, r, "sw.js")
		return
	case p == "/m/manifest.webmanifest":
		w.Header().Set("Cache-Control", "no-cache")
		s.serve(w, r, "manifest.webmanifest")
		return
	case p == "/favicon.ico":
		w.Header().Set("Cache-Control", "public, max-age=86400")
		s.serve(w, r, "icon.svg")
		return
	case strings.HasPrefix(p, "/static/"):
		ver, name, _ := strings.Cut(strings.TrimPrefix(p, "/static/"), "/")
		if ver == s.version && ver != "dev" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		if strings.HasSuffix(name, ".html") {
			http.NotFound(w, r)
			return
		}
		s.serve(w, r, name)
		return
	}
	page, ok := pages[p]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Cache-Control", "no-cache")
	img := "'self' data: blob:"
	if s.tileSrc != "" {
		img += " " + s.tileSrc
	}
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src "+img+"; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	s.serve(w, r, page)
}

func (s *site) serve(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := s.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("Vary", "Accept-Encoding")
	etag := `"` + s.version + `"`
	hd.Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag && s.version != "dev" {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	hd.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.TrimSpace(q) != "q=0" {
			return true
		}
	}
	return false
}

// Size reports the bytes of JavaScript and CSS the pages ship, raw and
// gzip-compressed, for the budget check.
func Size() (raw, compressed int) {
	sub, _ := fs.Sub(embedded, "static")
	s, err := load(sub, Config{}, true)
	if err != nil {
		return 0, 0
	}
	for _, a := range s.assets {
		if strings.HasPrefix(a.ctype, "text/javascript") || strings.HasPrefix(a.ctype, "text/css") {
			raw += len(a.body)
			if a.gz != nil {
				compressed += len(a.gz)
			} else {
				compressed += len(a.body)
			}
		}
	}
	return raw, compressed
}

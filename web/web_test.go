package web_test

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/wangge/wangge/web"
)

// TestBudget keeps the JavaScript and CSS the pages ship under 1 MB
// compressed (the figure).
func TestBudget(t *testing.T) {
	raw, gz := web.Size()
	t.Logf("JS+CSS: %d bytes, %d gzip-compressed", raw, gz)
	if gz == 0 || gz > 1<<20 {
		t.Errorf("JS+CSS compressed = %d bytes, want (0, 1 MiB]", gz)
	}
}

func get(t *testing.T, h http.Handler, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestHandler: pages are uncached and carry the versioned asset path;
// assets under it are immutable and compressed; unknown paths are 404.
func TestHandler(t *testing.T) {
	h := web.Handler(web.Config{TileURL: "https://{s}.tile.example.org/{z}/{x}/{y}.png"})
	for _, page := range []string{"/", "/m/", "/report"} {
		w := get(t, h, page)
		if w.Code != 200 || w.Header().Get("Cache-Control") != "no-cache" || !strings.Contains(w.Header().Get("Content-Security-Policy"), "https://*.tile.example.org") {
			t.Fatalf("%s: %d %v", page, w.Code, w.Header())
		}
		if strings.Contains(w.Body.String(), "{{") {
			t.Errorf("%s: template left unfilled", page)
		}
	}
	body := get(t, h, "/").Body.String()
	m := regexp.MustCompile(`/static/([0-9a-f]{12})/js/console\.js`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no versioned script in the page:\n%s", body)
	}
	w := get(t, h, m[0], "Accept-Encoding", "gzip, br")
	if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "text/javascript") {
		t.Errorf("asset: %d %v", w.Code, w.Header())
	}
	if w := get(t, h, m[0], "If-None-Match", `"`+m[1]+`"`); w.Code != 304 {
		t.Errorf("revalidation = %d, want 304", w.Code)
	}
	if w := get(t, h, "/static/"+m[1]+"/vendor/leaflet/LICENSE"); w.Code != 200 || !strings.Contains(w.Body.String(), "BSD 2-Clause") {
		t.Errorf("the vendored licence is not served: %d", w.Code)
	}
	if w := get(t, h, "/m/sw.js"); w.Code != 200 || w.Header().Get("Service-Worker-Allowed") != "/m/" || strings.Contains(w.Body.String(), "{{") {
		t.Errorf("service worker: %d %v", w.Code, w.Header())
	}
	for _, p := range []string{"/nope", "/static/" + m[1] + "/index.html", "/static/" + m[1] + "/nope.js"} {
		if w := get(t, h, p); w.Code != 404 {
			t.Errorf("%s = %d, want 404", p, w.Code)
		}
	}
	r := httptest.NewRequest("POST", "/", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 405 {
		t.Errorf("POST / = %d, want 405", rec.Code)
	}
}

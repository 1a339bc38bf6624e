package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wangge/wangge/internal/app"
)

func sharedData(t testing.TB, parts ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{"..", "..", "..", "shared", "data"}, parts...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data not found at %s", p)
	}
	return p
}

func run(t testing.TB, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := app.Run(context.Background(), args, strings.NewReader(""), &out, &errOut)
	return out.String() + errOut.String(), err
}

func TestImportDivisionsSubtree(t *testing.T) {
	dir := t.TempDir()
	if out, err := run(t, "migrate", "--data", dir); err != nil {
		t.Fatal(out, err)
	}
	out, err := run(t, "import", "divisions", "--data", dir, "--dir", sharedData(t, "china"), "--under", "360730")
	if err != nil || !strings.Contains(out, "imported") {
		t.Fatalf("%s %v", out, err)
	}
	// Again: everything is already there.
	out, err = run(t, "import", "divisions", "--data", dir, "--dir", sharedData(t, "china"), "--under", "360730")
	if err != nil || !strings.Contains(out, "imported 0 units") {
		t.Fatalf("re-import: %s %v", out, err)
	}
}

func TestCLIErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "no command"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"serve", "--nope"}, 2, "flag provided but not defined"},
		{[]string{"user", "add", "--data", dir, "--username", "x"}, 1, "schema is at version 0"},
		{[]string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, 1, "run `wangge migrate"},
		{[]string{"import", "geojson", "--data", dir}, 2, "a file is required"},
		{[]string{"import", "geojson", "missing.json", "--data", dir, "--crs", "mars"}, 2, "crs"},
	}
	for _, tt := range tests {
		out, err := run(t, tt.args...)
		if err == nil || app.ExitCode(err) != tt.code || !strings.Contains(out+err.Error(), tt.want) {
			t.Errorf("wangge %v: exit %d, %v, output %q; want exit %d mentioning %q", tt.args, app.ExitCode(err), err, out, tt.code, tt.want)
		}
	}
}

func TestImportGeoJSONAndUsers(t *testing.T) {
	dir := t.TempDir()
	run(t, "migrate", "--data", dir)
	if out, err := run(t, "import", "divisions", "--data", dir, "--dir", sharedData(t, "china"), "--under", "3501"); err != nil {
		t.Fatal(out, err)
	}
	// Fuzhou's 47 street polygons carry street_code and district_adcode.
	// The streets exist already (from the code tables): creating them again
	// is a conflict, giving them boundaries is an update.
	file := filepath.Join(sharedData(t, "china"), "fuzhou_urban_streets_bigemap.geojson")
	out, err := run(t, "import", "geojson", file, "--data", dir, "--level", "street")
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("expected a conflict, got %s %v", out, err)
	}
	out, err = run(t, "import", "geojson", file, "--data", dir, "--level", "street", "--update")
	if err != nil || !strings.Contains(out, "gave 47 existing units") {
		t.Fatalf("update: %s %v", out, err)
	}
	bad := filepath.Join(dir, "bad.geojson")
	os.WriteFile(bad, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"350102999"},"geometry":{"type":"Polygon","coordinates":[[[119,26],[119.1,26],[119.1,26.1]]]}}]}`), 0o600)
	if out, err := run(t, "import", "geojson", bad, "--data", dir, "--level", "street", "--parent", "350102"); app.ExitCode(err) != 2 {
		t.Errorf("malformed ring: exit %d: %s %v", app.ExitCode(err), out, err)
	}
	t.Setenv("WANGGE_PASSWORD", "")
	if out, err := run(t, "user", "add", "--data", dir, "--username", "cadre1", "--role", "cadre", "--units", "350102001"); app.ExitCode(err) != 2 {
		t.Errorf("user add without password: %s %v", out, err)
	}
	if out, err := run(t, "user", "add", "--data", dir, "--username", "cadre1", "--role", "cadre", "--units", "350102001", "--password", "long-enough"); err != nil {
		t.Fatal(out, err)
	}
	out, err = run(t, "apikey", "create", "--data", dir, "--name", "hotline-bridge")
	if err != nil || !strings.HasPrefix(out, "api_key: ") || len(strings.TrimSpace(out)) < 50 {
		t.Fatalf("apikey create: %q %v", out, err)
	}
	if out, err := run(t, "apikey", "list", "--data", dir); err != nil || !strings.Contains(out, "hotline-bridge") {
		t.Errorf("apikey list: %s %v", out, err)
	}
	if _, err := run(t, "apikey", "revoke", "--data", dir, "--name", "nobody"); err == nil {
		t.Error("revoking an unknown name succeeded")
	}
	out, err = run(t, "user", "list", "--data", dir)
	if err != nil || !strings.Contains(out, "cadre1") || !strings.Contains(out, "350102001") {
		t.Errorf("user list: %s %v", out, err)
	}
}

// BenchmarkImportDivisions imports the national division tables (665,276
// units) into a fresh SQLite database, as `wangge import divisions` does.
func BenchmarkImportDivisions(b *testing.B) {
	china := sharedData(b, "china")
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		run(b, "migrate", "--data", dir)
		b.StartTimer()
		if out, err := run(b, "import", "divisions", "--data", dir, "--dir", china); err != nil {
			b.Fatal(out, err)
		}
	}
}

func TestImportBoston(t *testing.T) {
	dir := t.TempDir()
	run(t, "migrate", "--data", dir)
	out, err := run(t, "import", "boston311", "--data", dir, "--dir", sharedData(t, "boston311"))
	if err != nil || !strings.Contains(out, "278 units") || !strings.Contains(out, "api_key: ") {
		t.Fatalf("%s %v", out, err)
	}
	// Again: the territory is kept, the catalogue and routing are refreshed.
	if out, err := run(t, "import", "boston311", "--data", dir, "--dir", sharedData(t, "boston311")); err != nil || !strings.Contains(out, "(0 new)") {
		t.Fatalf("re-import: %s %v", out, err)
	}
}

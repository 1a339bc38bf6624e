package pii_test

import (
	"bytes"
	"encoding/base64"
	"os"
	"path/filepath"
	"testing"

	"github.com/wangge/wangge/internal/pii"
)

func mustKeys(t *testing.T, seed byte) *pii.Keys {
	t.Helper()
	k, err := pii.New(bytes.Repeat([]byte{seed}, pii.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRoundTripAndTamper(t *testing.T) {
	k := mustKeys(t, 1)
	for _, s := range []string{"360730199001011234", "19912345678", "x"} {
		c1, c2 := k.Encrypt(s), k.Encrypt(s)
		if bytes.Equal(c1, c2) {
			t.Errorf("%q: two encryptions are equal; nonces must differ", s)
		}
		// (A one-byte value shows up by chance in 29 random-looking bytes
		// about one time in nine: only longer ones can be checked.)
		if len(s) >= 4 && bytes.Contains(c1, []byte(s)) {
			t.Errorf("%q: plaintext visible in ciphertext", s)
		}
		got, err := k.Decrypt(c1)
		if err != nil || got != s {
			t.Errorf("Decrypt = %q, %v; want %q", got, err, s)
		}
		c1[len(c1)-1] ^= 1
		if _, err := k.Decrypt(c1); err == nil {
			t.Errorf("%q: tampered ciphertext decrypted", s)
		}
	}
	if _, err := mustKeys(t, 2).Decrypt(k.Encrypt("secret")); err == nil {
		t.Error("decrypted with the wrong key")
	}
	if k.Encrypt("") != nil || k.Hash("") != nil {
		t.Error("empty values must stay empty")
	}
	for _, bad := range [][]byte{{1}, {9, 1, 2, 3}, bytes.Repeat([]byte{1}, 40)} {
		if _, err := k.Decrypt(bad); err == nil {
			t.Errorf("Decrypt(%x) succeeded", bad)
		}
	}
}

func TestHashIsKeyedAndStable(t *testing.T) {
	a, b := mustKeys(t, 1), mustKeys(t, 2)
	if !bytes.Equal(a.Hash("v"), a.Hash("v")) || bytes.Equal(a.Hash("v"), a.Hash("w")) {
		t.Error("hash must be stable and distinguish values")
	}
	if bytes.Equal(a.Hash("v"), b.Hash("v")) {
		t.Error("hash must depend on the key")
	}
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "wangge.key")
	t.Setenv("WANGGE_KEY", "")
	if _, _, err := pii.Load(path, false); err == nil {
		t.Fatal("missing key file without create must fail")
	}
	k1, created, err := pii.Load(path, true)
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %v, want 0600", fi.Mode().Perm())
	}
	k2, created, err := pii.Load(path, true)
	if err != nil || created {
		t.Fatalf("reload: %v %v", created, err)
	}
	if got, _ := k2.Decrypt(k1.Encrypt("same key")); got != "same key" {
		t.Error("reloaded key differs")
	}
	t.Setenv("WANGGE_KEY", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32)))
	k3, _, err := pii.Load(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k3.Hash("v"), mustKeys(t, 7).Hash("v")) {
		t.Error("WANGGE_KEY must take precedence over the file")
	}
	t.Setenv("WANGGE_KEY", "not base64!")
	if _, _, err := pii.Load(path, false); err == nil {
		t.Error("bad WANGGE_KEY accepted")
	}
}

func BenchmarkEncrypt(b *testing.B) {
	k, _ := pii.New(bytes.Repeat([]byte{1}, 32))
	for b.Loop() {
		k.Encrypt("360730199001011234")
	}
}

func BenchmarkHash(b *testing.B) {
	k, _ := pii.New(bytes.Repeat([]byte{1}, 32))
	for b.Loop() {
		k.Hash("360730199001011234")
	}
}

package password_test

import (
	"strings"
	"testing"

	"github.com/wangge/wangge/internal/password"
)

func TestHashCheck(t *testing.T) {
	h := password.Hash("correct horse")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected PHC string %q", h)
	}
	if h == password.Hash("correct horse") {
		t.Error("salt must differ between hashes")
	}
	tests := []struct {
		name, phc, pw string
		ok            bool
		err           bool
	}{
		{"right password", h, "correct horse", true, false},
		{"wrong password", h, "correct horsE", false, false},
		{"empty password", h, "", false, false},
		{"bcrypt string", "$2a$10$abc", "x", false, true},
		{"garbage", "argon2id", "x", false, true},
		{"huge memory", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdA$a2V5", "x", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := password.Check(tt.phc, tt.pw)
			if ok != tt.ok || (err != nil) != tt.err {
				t.Errorf("Check = %v, %v; want %v, err %v", ok, err, tt.ok, tt.err)
			}
		})
	}
}

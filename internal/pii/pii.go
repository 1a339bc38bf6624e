// Package pii protects personal data at rest: ID numbers and phones are
// encrypted with AES-256-GCM and found again through a keyed hash (a blind
// index), so the database never holds them in the clear.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// KeySize is the size of the master key in bytes.
const KeySize = 32

// version prefixes every ciphertext so that keys can be rotated later.
const version byte = 1

// Keys holds the two keys derived from the master key: one encrypts, the
// other computes lookup hashes. Deriving both keeps one secret to manage
// while never using one key for two purposes.
type Keys struct {
	aead cipher.AEAD
	mac  []byte
	macs sync.Pool // keyed HMAC states: building one costs more than hashing an ID number
}

// New derives the keys from a 32-byte master key.
func New(master []byte) (*Keys, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("pii: master key must be %d bytes, got %d", KeySize, len(master))
	}
	block, err := aes.NewCipher(derive(master, "wangge pii encryption v1"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &Keys{aead: aead, mac: derive(master, "wangge pii lookup v1")}
	k.macs.New = func() any { return hmac.New(sha256.New, k.mac) }
	return k, nil
}

func derive(master []byte, purpose string) []byte {
	h := hmac.New(sha256.New, master)
	h.Write([]byte(purpose))
	return h.Sum(nil)
}

// Encrypt seals plaintext; an empty string stays empty (nil).
func (k *Keys) Encrypt(plaintext string) []byte {
	if plaintext == "" {
		return nil
	}
	ns := k.aead.NonceSize()
	out := make([]byte, 1+ns, 1+ns+len(plaintext)+k.aead.Overhead())
	out[0] = version
	if _, err := rand.Read(out[1 : 1+ns]); err != nil {
		panic("pii: no randomness: " + err.Error()) // crypto/rand never fails on supported platforms
	}
	return k.aead.Seal(out, out[1:1+ns], []byte(plaintext), out[:1])
}

// Decrypt opens a value sealed by Encrypt.
func (k *Keys) Decrypt(sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	ns := k.aead.NonceSize()
	if len(sealed) < 1+ns+k.aead.Overhead() || sealed[0] != version {
		return "", errors.New("pii: malformed ciphertext")
	}
	plain, err := k.aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], sealed[:1])
	if err != nil {
		return "", fmt.Errorf("pii: decrypt: %w", err)
	}
	return string(plain), nil
}

// Hash returns the keyed lookup hash of a value (16 bytes), or nil for an
// empty value. Equal values hash equally, so a unique index and lookups work
// without the plain value.
func (k *Keys) Hash(value string) []byte {
	if value == "" {
		return nil
	}
	h := k.macs.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(value))
	var sum [sha256.Size]byte
	out := append([]byte(nil), h.Sum(sum[:0])[:16]...)
	k.macs.Put(h)
	return out
}

// Load reads the master key from the environment variable WANGGE_KEY
// (base64) if set, else from path. With create set, a missing key file is
// generated with mode 0600 and created reports true.
func Load(path string, create bool) (keys *Keys, created bool, err error) {
	if s := strings.TrimSpace(os.Getenv("WANGGE_KEY")); s != "" {
		master, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, false, fmt.Errorf("pii: WANGGE_KEY is not base64: %w", err)
		}
		keys, err := New(master)
		return keys, false, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) && create {
		master := make([]byte, KeySize)
		if _, err := rand.Read(master); err != nil {
			return nil, false, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, false, err
		}
		enc := base64.StdEncoding.EncodeToString(master) + "\n"
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, false, fmt.Errorf("pii: create key file: %w", err)
		}
		if _, err := f.WriteString(enc); err != nil {
			f.Close()
			return nil, false, err
		}
		if err := f.Close(); err != nil {
			return nil, false, err
		}
		keys, err := New(master)
		return keys, true, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("pii: no key: set WANGGE_KEY or provide %s: %w", path, err)
	}
	master, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		return nil, false, fmt.Errorf("pii: key file %s is not base64: %w", path, err)
	}
	keys, err = New(master)
	return keys, false, err
}

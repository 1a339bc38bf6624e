package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/wangge/wangge"
)

// APIKey describes a key of an outside client (an Open311 app); the key
// itself is shown once, when it is created, and never stored.
type APIKey struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	// Sync marks the key of a system that owns part of its cases' life (a
	// city's 311 system being replayed, a 12345 hotline platform): its
	// requests may carry their own timestamps, are accepted on receipt, and
	// it may report its cases closed (see caseflow.ReportSynced and Sync).
	Sync      bool       `json:"sync"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// errBadAPIKey is the one answer to an unknown, revoked or empty key, so
// that it does not tell which keys once existed.
var errBadAPIKey = wangge.Errorf(wangge.EUNAUTHORIZED, "invalid api_key")

// CreateAPIKey makes a new API key for the client called name
// (administrators only) and returns it: 32 random bytes, base64url. Only
// its SHA-256 hash is stored, so the key cannot be shown again.
func (db *DB) CreateAPIKey(ctx context.Context, name string) (string, error) {
	return db.createAPIKey(ctx, name, false)
}

// CreateSyncKey is CreateAPIKey for a system that syncs its cases (APIKey.Sync).
func (db *DB) CreateSyncKey(ctx context.Context, name string) (string, error) {
	return db.createAPIKey(ctx, name, true)
}

func (db *DB) createAPIKey(ctx context.Context, name string, sync bool) (string, error) {
	if err := requireAdmin(ctx, "create API keys"); err != nil {
		return "", err
	}
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", wangge.FieldError("name", "required")
	case len(name) > 100:
		return "", wangge.FieldError("name", "too long (at most 100 bytes)")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return "", wangge.FieldError("name", "must not contain control characters")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	key := base64.RawURLEncoding.EncodeToString(raw)
	err := db.Transact(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "INSERT INTO api_keys (key_hash, name, created_at, sync) VALUES (?, ?, ?, ?)", tokenHash(key), name, db.Now().UTC(), sync)
		return err
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

// CheckAPIKey returns the live API key of that value; an unknown or revoked
// key is unauthorized. Every Open311 post asks, so a live key is remembered
// for 10 s: a key revoked on this server stops at once, on another server
// within those seconds.
func (db *DB) CheckAPIKey(ctx context.Context, key string) (*APIKey, error) {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > 200 {
		return nil, errBadAPIKey
	}
	hash := string(tokenHash(key))
	k, ok, gen := db.apiKeys.get(hash, db.Now())
	if ok {
		return &k, nil
	}
	err := db.read().queryRow(ctx, "SELECT id, name, sync, created_at FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL",
		[]byte(hash)).Scan(&k.ID, &k.Name, &k.Sync, &k.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errBadAPIKey
	}
	if err != nil {
		return nil, err
	}
	k.CreatedAt = k.CreatedAt.UTC()
	db.apiKeys.put(hash, k, db.Now(), gen)
	return &k, nil
}

// RevokeAPIKey revokes every live key of the client called name
// (administrators only); it is not found when there is none.
func (db *DB) RevokeAPIKey(ctx context.Context, name string) error {
	if err := requireAdmin(ctx, "revoke API keys"); err != nil {
		return err
	}
	defer db.changed("keys")
	return db.Transact(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, "UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL", db.Now().UTC(), strings.TrimSpace(name))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return wangge.Errorf(wangge.ENOTFOUND, "no live API key named %q", name)
		}
		return nil
	})
}

// APIKeys lists every API key on record, live and revoked, oldest first
// (administrators only).
func (db *DB) APIKeys(ctx context.Context) ([]APIKey, error) {
	if err := requireAdmin(ctx, "list API keys"); err != nil {
		return nil, err
	}
	rows, err := db.read().query(ctx, "SELECT id, name, sync, created_at, revoked_at FROM api_keys ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []APIKey{}
	for rows.Next() {
		var k APIKey
		var revoked sql.NullTime
		if err := rows.Scan(&k.ID, &k.Name, &k.Sync, &k.CreatedAt, &revoked); err != nil {
			return nil, err
		}
		k.CreatedAt, k.RevokedAt = k.CreatedAt.UTC(), nullTime(revoked)
		out = append(out, k)
	}
	return out, rows.Err()
}

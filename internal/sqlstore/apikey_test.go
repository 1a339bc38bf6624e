package sqlstore_test

import (
	"context"
	"encoding/base64"
	"testing"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
)

func TestAPIKeys(t *testing.T) {
	forEachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		worker := &wangge.User{Username: "gw", Role: wangge.RoleGridWorker, Units: []string{"360730"}}
		_, err := db.CreateAPIKey(as(worker), "fixmystreet")
		mustCode(t, err, wangge.EFORBIDDEN)
		_, err = db.CreateAPIKey(asAdmin(), "  ")
		mustCode(t, err, wangge.EINVALID)

		key, err := db.CreateAPIKey(asAdmin(), "fixmystreet")
		if err != nil {
			t.Fatal(err)
		}
		if raw, err := base64.RawURLEncoding.DecodeString(key); err != nil || len(raw) != 32 {
			t.Fatalf("key %q is not 32 bytes of base64url: %v", key, err)
		}
		other, err := db.CreateAPIKey(asAdmin(), "mobile app")
		if err != nil || other == key {
			t.Fatalf("second key = %q, %v", other, err)
		}
		if k, err := db.CheckAPIKey(ctx, key); err != nil || k.Name != "fixmystreet" || k.Sync {
			t.Fatalf("check = %+v, %v", k, err)
		}
		for _, bad := range []string{"", key + "x", "nonsense"} {
			_, err := db.CheckAPIKey(ctx, bad)
			mustCode(t, err, wangge.EUNAUTHORIZED)
		}

		mustCode(t, db.RevokeAPIKey(as(worker), "fixmystreet"), wangge.EFORBIDDEN)
		mustCode(t, db.RevokeAPIKey(asAdmin(), "nobody"), wangge.ENOTFOUND)
		if err := db.RevokeAPIKey(asAdmin(), "fixmystreet"); err != nil {
			t.Fatal(err)
		}
		_, err = db.CheckAPIKey(ctx, key)
		mustCode(t, err, wangge.EUNAUTHORIZED)
		mustCode(t, db.RevokeAPIKey(asAdmin(), "fixmystreet"), wangge.ENOTFOUND)
		if k, err := db.CheckAPIKey(ctx, other); err != nil || k.Name != "mobile app" {
			t.Fatalf("the other key must still work: %+v, %v", k, err)
		}
		syncKey, err := db.CreateSyncKey(asAdmin(), "12345 hotline")
		if err != nil {
			t.Fatal(err)
		}
		if k, err := db.CheckAPIKey(ctx, syncKey); err != nil || !k.Sync || k.Name != "12345 hotline" {
			t.Fatalf("sync key = %+v, %v", k, err)
		}

		_, err = db.APIKeys(as(worker))
		mustCode(t, err, wangge.EFORBIDDEN)
		keys, err := db.APIKeys(asAdmin())
		if err != nil || len(keys) != 3 || keys[0].Name != "fixmystreet" || keys[0].RevokedAt == nil ||
			!keys[0].RevokedAt.Equal(testNow) || !keys[0].CreatedAt.Equal(testNow) || keys[1].RevokedAt != nil || keys[1].Sync || !keys[2].Sync {
			t.Fatalf("keys = %+v, %v", keys, err)
		}
	})
}

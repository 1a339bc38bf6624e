package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// Several servers on one PostgreSQL tell each other about committed changes
// with LISTEN/NOTIFY. The channel is named after the schema, so that
// deployments (and tests) sharing one database do not hear each other.

// ErrNoNotify is returned on SQLite, where one process owns the database.
var ErrNoNotify = errors.New("sqlstore: LISTEN/NOTIFY needs PostgreSQL")

// channel returns the notification channel of this database's schema.
func (db *DB) channel(ctx context.Context, topic string) (string, error) {
	var schema string
	if err := db.r.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return "", err
	}
	return "wangge_" + topic + "_" + schema, nil
}

// Notify sends payload (at most 8,000 bytes) to the listeners of topic on
// every server.
func (db *DB) Notify(ctx context.Context, topic, payload string) error {
	if db.dialect != Postgres {
		return ErrNoNotify
	}
	ch, err := db.channel(ctx, topic)
	if err != nil {
		return err
	}
	_, err = db.w.ExecContext(ctx, "SELECT pg_notify($1, $2)", ch, payload)
	return err
}

// Listen calls fn with the payload of every notification on topic until ctx
// ends, reconnecting after a lost connection (notifications sent while it
// was down are lost: listeners must treat them as hints). ready, when not
// nil, is closed once the first LISTEN is in place.
func (db *DB) Listen(ctx context.Context, topic string, ready chan<- struct{}, fn func(payload string)) error {
	if db.dialect != Postgres {
		return ErrNoNotify
	}
	ch, err := db.channel(ctx, topic)
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		err := db.listenOnce(ctx, ch, ready, fn)
		ready = nil
		if ctx.Err() != nil {
			break
		}
		if err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return ctx.Err()
}

func (db *DB) listenOnce(ctx context.Context, ch string, ready chan<- struct{}, fn func(string)) error {
	c, err := db.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		pc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("listen: unexpected driver connection %T", dc)
		}
		conn := pc.Conn()
		if _, err := conn.Exec(ctx, `LISTEN "`+ch+`"`); err != nil {
			return err
		}
		if ready != nil {
			close(ready)
		}
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				// The connection still listens: have database/sql drop it
				// rather than give it back to the pool.
				return errors.Join(err, driver.ErrBadConn)
			}
			fn(n.Payload)
		}
	})
}

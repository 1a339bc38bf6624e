package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/wangge/wangge"
)

// fanOut writes, in the transaction of a case change, the inbox entries the
// domain asks for and one outbox row per webhook that subscribes to the
// event.
func (tx *Tx) fanOut(ctx context.Context, c *wangge.Case, ev *wangge.CaseEvent) error {
	notes := wangge.Notify(*c, *ev)
	if ev.Action == string(wangge.ActClose) {
		// Reporters of the cases merged into this one follow it (重复诉求并单).
		followers, err := tx.mergedReporters(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, id := range followers {
			f := *c
			f.ReporterID = &id
			notes = append(notes, wangge.Notify(f, *ev)...)
		}
	}
	for _, n := range notes {
		if _, err := tx.exec(ctx, `INSERT INTO notifications (case_id, number, kind, message_zh, message_en, user_id, department_id, unit_code, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Number, n.Kind, n.MessageZH, n.MessageEN, idArg(n.UserID), idArg(n.DepartmentID), n.UnitCode, ev.At.UTC()); err != nil {
			return fmt.Errorf("notification: %w", err)
		}
	}
	rows, err := tx.query(ctx, "SELECT id, events FROM webhooks WHERE active")
	if err != nil {
		return err
	}
	var hooks []int64
	for rows.Next() {
		var id int64
		var events string
		if err := rows.Scan(&id, &events); err != nil {
			rows.Close()
			return err
		}
		if events == "*" || strings.Contains(","+events+",", ","+ev.Action+",") {
			hooks = append(hooks, id)
		}
	}
	if err := rows.Close(); err != nil || len(hooks) == 0 {
		return err
	}
	payload, err := json.Marshal(WebhookPayload{Event: ev.Action, EventID: ev.ID, At: ev.At.UTC(), Case: publicCase(c), Note: ev.Note})
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if _, err := tx.exec(ctx, "INSERT INTO outbox (webhook_id, event, payload, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
			h, ev.Action, string(payload), ev.At.UTC(), ev.At.UTC()); err != nil {
			return err
		}
	}
	return nil
}

func (tx *Tx) mergedReporters(ctx context.Context, survivor int64) ([]int64, error) {
	rows, err := tx.query(ctx, "SELECT DISTINCT reporter_id FROM cases WHERE merged_into = ? AND reporter_id IS NOT NULL", survivor)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// WebhookPayload is the JSON body of a webhook delivery.
type WebhookPayload struct {
	Event   string       `json:"event"`
	EventID int64        `json:"event_id"`
	At      time.Time    `json:"at"`
	Note    string       `json:"note,omitempty"`
	Case    *wangge.Case `json:"case"`
}

// publicCase is a case as it leaves the platform: no reporter identity.
func publicCase(c *wangge.Case) *wangge.Case {
	p := *c
	p.ReporterID, p.ReporterName, p.ReporterPhone, p.IdempotencyKey = nil, "", "", ""
	return &p
}

// Inbox lists the notifications for the context's user: addressed to them,
// to their department, or to a unit in their scope; newest first.
func (db *DB) Inbox(ctx context.Context, unreadOnly bool, limit, offset int) ([]*wangge.Notification, int, error) {
	me := wangge.UserFromContext(ctx)
	if me == nil {
		return nil, 0, wangge.Errorf(wangge.EUNAUTHORIZED, "login required")
	}
	parts := []string{"n.user_id = ?"}
	args := []any{me.ID}
	if me.DepartmentID != nil {
		parts = append(parts, "n.department_id = ?")
		args = append(args, *me.DepartmentID)
	}
	if s := wangge.ScopeOf(me); s.All || len(s.Roots) > 0 {
		sp, sargs := scopeWhere(s, "n.unit_code")
		parts = append(parts, "(n.unit_code <> '' AND "+sp+")")
		args = append(args, sargs...)
	}
	var w where
	w.add("("+strings.Join(parts, " OR ")+")", args...)
	if unreadOnly {
		w.add("r.user_id IS NULL")
	}
	table := "notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = " + fmt.Sprint(me.ID)
	return list(ctx, db, table, "n.id, n.case_id, n.number, n.kind, n.message_zh, n.message_en, n.user_id, n.department_id, n.unit_code, n.created_at, r.user_id IS NOT NULL",
		"n.id DESC", w, limit, offset, func(sc scanner) (*wangge.Notification, error) {
			var n wangge.Notification
			var user, dept sql.NullInt64
			err := sc.Scan(&n.ID, &n.CaseID, &n.Number, &n.Kind, &n.MessageZH, &n.MessageEN, &user, &dept, &n.UnitCode, &n.CreatedAt, &n.Read)
			n.UserID, n.DepartmentID, n.CreatedAt = nullID(user), nullID(dept), n.CreatedAt.UTC()
			return &n, err
		})
}

// MarkRead marks notifications as read for the context's user (ones not
// addressed to them are ignored).
func (db *DB) MarkRead(ctx context.Context, ids []int64) error {
	me := wangge.UserFromContext(ctx)
	if me == nil {
		return wangge.Errorf(wangge.EUNAUTHORIZED, "login required")
	}
	return db.Transact(ctx, func(tx *Tx) error {
		for _, id := range ids {
			if _, err := tx.exec(ctx, "INSERT INTO notification_reads (user_id, notification_id) SELECT ?, id FROM notifications WHERE id = ? ON CONFLICT DO NOTHING", me.ID, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Webhook is an outbound subscription to case events.
type Webhook struct {
	ID        int64     `json:"id"`
	URL       string    `json:"url"`
	Secret    string    `json:"secret,omitempty"` // shown once, at creation
	Events    string    `json:"events"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
}

// CreateWebhook subscribes url to events ("*" or comma-separated timeline
// actions) and returns it with its signing secret (administrators only).
func (db *DB) CreateWebhook(ctx context.Context, rawURL, events string) (*Webhook, error) {
	if err := requireAdmin(ctx, "manage webhooks"); err != nil {
		return nil, err
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, wangge.FieldError("url", "an http or https URL")
	}
	if events == "" {
		events = "*"
	}
	b := make([]byte, 24)
	rand.Read(b)
	h := &Webhook{URL: rawURL, Secret: hex.EncodeToString(b), Events: events, Active: true, CreatedAt: db.Now()}
	err = db.Transact(ctx, func(tx *Tx) error {
		var err error
		h.ID, err = tx.insert(ctx, "INSERT INTO webhooks (url, secret, events, active, created_at) VALUES (?, ?, ?, TRUE, ?)", h.URL, h.Secret, h.Events, h.CreatedAt)
		return err
	})
	return h, err
}

// Webhooks lists the subscriptions, without secrets.
func (db *DB) Webhooks(ctx context.Context) ([]*Webhook, error) {
	if err := requireAdmin(ctx, "manage webhooks"); err != nil {
		return nil, err
	}
	rows, err := db.read().query(ctx, "SELECT id, url, events, active, created_at FROM webhooks ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Webhook{}
	for rows.Next() {
		var h Webhook
		if err := rows.Scan(&h.ID, &h.URL, &h.Events, &h.Active, &h.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, &h)
	}
	return out, rows.Err()
}

// DeleteWebhook removes a subscription and its pending deliveries.
func (db *DB) DeleteWebhook(ctx context.Context, id int64) error {
	if err := requireAdmin(ctx, "manage webhooks"); err != nil {
		return err
	}
	return db.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, "DELETE FROM outbox WHERE webhook_id = ?", id); err != nil {
			return err
		}
		res, err := tx.exec(ctx, "DELETE FROM webhooks WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return wangge.Errorf(wangge.ENOTFOUND, "webhook not found")
		}
		return nil
	})
}

// Delivery is one outbox row claimed for sending.
type Delivery struct {
	ID       int64
	URL      string
	Secret   string
	Event    string
	Payload  []byte
	Attempts int
}

// ClaimDeliveries takes up to limit deliveries due at now and leases them
// for lease: another server will not take them meanwhile (SKIP LOCKED on
// PostgreSQL, the single writer on SQLite), and a server that dies while
// sending leaves them to be retried when the lease ends.
func (db *DB) ClaimDeliveries(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]Delivery, error) {
	var out []Delivery
	err := db.Transact(ctx, func(tx *Tx) error {
		q := `SELECT o.id, h.url, h.secret, o.event, o.payload, o.attempts FROM outbox o JOIN webhooks h ON h.id = o.webhook_id
			WHERE o.next_attempt_at IS NOT NULL AND o.next_attempt_at <= ? ORDER BY o.next_attempt_at LIMIT ?`
		if tx.d == Postgres {
			q += " FOR UPDATE OF o SKIP LOCKED"
		}
		rows, err := tx.query(ctx, q, now.UTC(), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var d Delivery
			var payload string
			if err := rows.Scan(&d.ID, &d.URL, &d.Secret, &d.Event, &payload, &d.Attempts); err != nil {
				rows.Close()
				return err
			}
			d.Payload = []byte(payload)
			out = append(out, d)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		for _, d := range out {
			if _, err := tx.exec(ctx, "UPDATE outbox SET next_attempt_at = ? WHERE id = ?", now.Add(lease).UTC(), d.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// MaxAttempts is how many failed deliveries make a dead letter.
const MaxAttempts = 8

// DeliveryDone records the outcome of a delivery: success, a retry after an
// exponential backoff (30 s, 1 min, 2 min, ... at most an hour), or a dead
// letter after MaxAttempts failures.
func (db *DB) DeliveryDone(ctx context.Context, id int64, attempts int, failure error, now time.Time) error {
	return db.Transact(ctx, func(tx *Tx) error {
		if failure == nil {
			_, err := tx.exec(ctx, "UPDATE outbox SET delivered_at = ?, next_attempt_at = NULL, attempts = ?, last_error = '' WHERE id = ?", now.UTC(), attempts+1, id)
			return err
		}
		n := attempts + 1
		msg := failure.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		if n >= MaxAttempts {
			_, err := tx.exec(ctx, "UPDATE outbox SET dead = TRUE, next_attempt_at = NULL, attempts = ?, last_error = ? WHERE id = ?", n, msg, id)
			return err
		}
		backoff := min(30*time.Second<<(n-1), time.Hour)
		_, err := tx.exec(ctx, "UPDATE outbox SET next_attempt_at = ?, attempts = ?, last_error = ? WHERE id = ?", now.Add(backoff).UTC(), n, msg, id)
		return err
	})
}

// OutboxStats counts deliveries by state, for metrics and tests.
func (db *DB) OutboxStats(ctx context.Context) (pending, delivered, dead int, err error) {
	err = db.read().queryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN next_attempt_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN delivered_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN dead THEN 1 ELSE 0 END), 0) FROM outbox`).Scan(&pending, &delivered, &dead)
	return
}

// Package webhook delivers case events to subscribers: it claims deliveries
// from the outbox, signs each body with the subscription's secret, and
// records success, a retry with backoff, or a dead letter.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/wangge/wangge/internal/sqlstore"
)

// Sign returns the signature header value of a body sent at ts: the
// HMAC-SHA256 of "ts.body" under the secret, hex-encoded. Including the
// timestamp lets a receiver refuse replays of old deliveries.
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "%d.", ts)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature made by Sign.
func Verify(secret string, ts int64, body []byte, sig string) bool {
	return hmac.Equal([]byte(Sign(secret, ts, body)), []byte(sig))
}

// Deliverer sends the outbox.
type Deliverer struct {
	DB     *sqlstore.DB
	Client *http.Client
	Logger *slog.Logger
	Now    func() time.Time
}

// New returns a deliverer with a 10-second timeout per delivery.
func New(db *sqlstore.DB, log *slog.Logger) *Deliverer {
	return &Deliverer{DB: db, Client: &http.Client{Timeout: 10 * time.Second}, Logger: log, Now: db.Now}
}

// Once sends what is due now and returns how many deliveries it attempted.
func (d *Deliverer) Once(ctx context.Context) (int, error) {
	batch, err := d.DB.ClaimDeliveries(ctx, d.Now(), time.Minute, 50)
	if err != nil {
		return 0, err
	}
	for _, del := range batch {
		err := d.send(ctx, del)
		if err != nil {
			d.Logger.Warn("webhook delivery failed", "id", del.ID, "url", del.URL, "attempt", del.Attempts+1, "err", err)
		}
		if derr := d.DB.DeliveryDone(ctx, del.ID, del.Attempts, err, d.Now()); derr != nil {
			return 0, derr
		}
	}
	return len(batch), nil
}

func (d *Deliverer) send(ctx context.Context, del sqlstore.Delivery) error {
	ts := d.Now().Unix()
	req, err := http.NewRequestWithContext(ctx, "POST", del.URL, bytes.NewReader(del.Payload))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "wangge-webhook/1")
	req.Header.Set("X-Wangge-Event", del.Event)
	req.Header.Set("X-Wangge-Delivery", strconv.FormatInt(del.ID, 10))
	req.Header.Set("X-Wangge-Timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("X-Wangge-Signature", Sign(del.Secret, ts, del.Payload))
	resp, err := d.Client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// Run delivers every interval until ctx ends.
func (d *Deliverer) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for {
				n, err := d.Once(ctx)
				if err != nil && ctx.Err() == nil {
					d.Logger.Error("webhook outbox", "err", err)
				}
				if err != nil || n < 50 {
					break
				}
			}
		}
	}
}

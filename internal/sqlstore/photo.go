package sqlstore

import (
	"context"
	"database/sql"
	"time"

	"github.com/wangge/wangge"
)

// Photo is a photo attached to a case.
type Photo struct {
	ID           int64     `json:"id"`
	CaseID       int64     `json:"case_id"`
	SHA256       string    `json:"sha256"`
	PublicSHA256 string    `json:"public_sha256"`
	Type         string    `json:"type"`
	Size         int       `json:"size"`
	UploaderID   *int64    `json:"uploader_id,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// AddPhoto attaches a stored photo to a case the caller may see, with a
// timeline row, under the case's lock.
func (db *DB) AddPhoto(ctx context.Context, caseID int64, p *Photo) error {
	me := wangge.UserFromContext(ctx)
	p.CaseID, p.CreatedAt = caseID, db.Now()
	_, err := db.updateCase(ctx, caseID, 0, false, func(c wangge.Case) (wangge.Case, []wangge.CaseEvent, error) {
		if !c.Status.Open() && c.Status != wangge.StatusClosed {
			return c, nil, wangge.Errorf(wangge.ECONFLICT, "the case is %s: no more photos", c.Status)
		}
		ev := wangge.CaseEvent{At: db.Now(), Action: "photo", From: c.Status, To: c.Status,
			Data: map[string]any{"sha256": p.SHA256, "public_sha256": p.PublicSHA256}}
		if me != nil && me.ID != 0 {
			ev.ActorID, p.UploaderID = &me.ID, &me.ID
		}
		return c, []wangge.CaseEvent{ev}, nil
	}, func(tx *Tx, _ *wangge.CaseEvent) error {
		var err error
		p.ID, err = tx.insert(ctx, "INSERT INTO case_photos (case_id, sha256, public_sha256, type, size, uploader_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
			caseID, p.SHA256, p.PublicSHA256, p.Type, p.Size, idArg(p.UploaderID), p.CreatedAt)
		return err
	})
	return err
}

// Photos lists the photos of a case the caller may see.
func (db *DB) Photos(ctx context.Context, caseID int64) ([]*Photo, error) {
	if _, err := db.Case(ctx, caseID); err != nil {
		return nil, err
	}
	rows, err := db.read().query(ctx, "SELECT id, case_id, sha256, public_sha256, type, size, uploader_id, created_at FROM case_photos WHERE case_id = ? ORDER BY id", caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*Photo{}
	for rows.Next() {
		var p Photo
		var up sql.NullInt64
		if err := rows.Scan(&p.ID, &p.CaseID, &p.SHA256, &p.PublicSHA256, &p.Type, &p.Size, &up, &p.CreatedAt); err != nil {
			return nil, err
		}
		p.UploaderID, p.CreatedAt = nullID(up), p.CreatedAt.UTC()
		out = append(out, &p)
	}
	return out, rows.Err()
}

// PhotoType returns the type of a photo (original or public copy) if it
// belongs to a case the caller may see; otherwise not found.
func (db *DB) PhotoType(ctx context.Context, sum string) (string, error) {
	sp, args := caseScope(ctx)
	var typ string
	err := db.read().queryRow(ctx, "SELECT p.type FROM case_photos p JOIN cases c ON c.id = p.case_id WHERE (p.sha256 = ? OR p.public_sha256 = ?) AND "+sp+" LIMIT 1",
		append([]any{sum, sum}, args...)...).Scan(&typ)
	return typ, notFound(err, "photo")
}

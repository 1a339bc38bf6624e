package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/wangge/wangge"
)

// SaveCatalogue validates a catalogue against the departments on record and
// stores it in one transaction: items and categories are added or replaced.
// Ones missing from the new catalogue are kept, because cases refer to them.
func (db *DB) SaveCatalogue(ctx context.Context, cat *wangge.Catalogue) error {
	if err := requireAdmin(ctx, "change the catalogue"); err != nil {
		return err
	}
	depts, err := db.departmentCodes(ctx)
	if err != nil {
		return err
	}
	if err := cat.Validate(depts); err != nil {
		return err
	}
	return db.Transact(ctx, func(tx *Tx) error {
		for _, it := range cat.Items {
			if _, err := tx.exec(ctx, `INSERT INTO duty_items (code, name_zh, name_en, department, grid_duty) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, department = excluded.department, grid_duty = excluded.grid_duty`,
				it.Code, it.NameZH, it.NameEN, it.Department, it.GridDuty); err != nil {
				return err
			}
		}
		for _, c := range cat.Categories {
			spec, err := json.Marshal(c)
			if err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `INSERT INTO categories (code, kind, name_zh, name_en, spec) VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, name_zh = excluded.name_zh, name_en = excluded.name_en, spec = excluded.spec`,
				c.Code, string(c.Kind), c.NameZH, c.NameEN, string(spec)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) departmentCodes(ctx context.Context) (map[string]bool, error) {
	rows, err := db.read().query(ctx, "SELECT code FROM departments")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

// Catalogue returns the stored catalogue, items and categories in code
// order (majors before their minors).
func (db *DB) Catalogue(ctx context.Context) (*wangge.Catalogue, error) {
	cat := &wangge.Catalogue{Items: []wangge.DutyItem{}, Categories: []wangge.Category{}}
	rows, err := db.read().query(ctx, "SELECT code, name_zh, name_en, department, grid_duty FROM duty_items ORDER BY code")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var it wangge.DutyItem
		if err := rows.Scan(&it.Code, &it.NameZH, &it.NameEN, &it.Department, &it.GridDuty); err != nil {
			rows.Close()
			return nil, err
		}
		cat.Items = append(cat.Items, it)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	rows, err = db.read().query(ctx, "SELECT spec FROM categories ORDER BY code")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var spec string
		if err := rows.Scan(&spec); err != nil {
			return nil, err
		}
		var c wangge.Category
		if err := json.Unmarshal([]byte(spec), &c); err != nil {
			return nil, fmt.Errorf("category spec: %w", err)
		}
		cat.Categories = append(cat.Categories, c)
	}
	return cat, rows.Err()
}

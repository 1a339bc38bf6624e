package sqlstore

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/password"
)

// requireAdmin fails unless the context's user sees everything.
func requireAdmin(ctx context.Context, what string) error {
	if !wangge.ScopeFromContext(ctx).All {
		return wangge.Errorf(wangge.EFORBIDDEN, "only an administrator may %s", what)
	}
	return nil
}

// CreateDepartment adds a department.
func (db *DB) CreateDepartment(ctx context.Context, d *wangge.Department) error {
	if err := requireAdmin(ctx, "manage departments"); err != nil {
		return err
	}
	var v wangge.Validation
	if !wangge.ValidCode(d.Code) {
		v.Add("code", "must be 1-32 letters or digits")
	}
	if strings.TrimSpace(d.NameZH) == "" {
		v.Add("name_zh", "required")
	}
	if !wangge.ValidCode(d.UnitCode) {
		v.Add("unit_code", "required")
	}
	if err := v.Err(); err != nil {
		return err
	}
	return db.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.currentUnit(ctx, d.UnitCode); err != nil {
			return wangge.FieldError("unit_code", "unknown unit")
		}
		id, err := tx.insert(ctx, "INSERT INTO departments (code, name_zh, name_en, unit_code) VALUES (?, ?, ?, ?)",
			d.Code, d.NameZH, d.NameEN, d.UnitCode)
		if isUniqueViolation(err) {
			return wangge.Errorf(wangge.ECONFLICT, "department %s already exists", d.Code)
		}
		d.ID = id
		return err
	})
}

// Departments lists the departments serving units in the caller's scope or
// above it (a grid worker sees the county's departments).
func (db *DB) Departments(ctx context.Context) ([]*wangge.Department, error) {
	rows, err := db.read().query(ctx, "SELECT id, code, name_zh, name_en, unit_code FROM departments ORDER BY code")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	s := wangge.ScopeFromContext(ctx)
	out := []*wangge.Department{}
	for rows.Next() {
		var d wangge.Department
		if err := rows.Scan(&d.ID, &d.Code, &d.NameZH, &d.NameEN, &d.UnitCode); err != nil {
			return nil, err
		}
		// The department list is short (12-14 per county); what matters is
		// the relation between codes, which SQL cannot index both ways.
		if s.All || s.Contains(d.UnitCode) || coversScope(d.UnitCode, s) {
			out = append(out, &d)
		}
	}
	return out, rows.Err()
}

func coversScope(code string, s wangge.Scope) bool {
	for _, r := range s.Roots {
		if wangge.InSubtree(r, code) {
			return true
		}
	}
	return false
}

const userCols = "u.id, u.username, u.name, u.role, u.department_id, u.disabled, u.created_at"

func scanUser(sc scanner) (*wangge.User, error) {
	var u wangge.User
	var dept sql.NullInt64
	if err := sc.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &dept, &u.Disabled, &u.CreatedAt); err != nil {
		return nil, err
	}
	if dept.Valid {
		u.DepartmentID = &dept.Int64
	}
	u.CreatedAt = u.CreatedAt.UTC()
	u.Units = []string{}
	return &u, nil
}

// CreateUser validates and adds a user with a password and unit assignments.
func (db *DB) CreateUser(ctx context.Context, u *wangge.User, pw string) error {
	if err := requireAdmin(ctx, "manage users"); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if len(pw) < wangge.MinPasswordLength {
		return wangge.FieldError("password", fmt.Sprintf("at least %d characters", wangge.MinPasswordLength))
	}
	hash := password.Hash(pw)
	return db.Transact(ctx, func(tx *Tx) error { return tx.createUser(ctx, u, hash) })
}

func (tx *Tx) createUser(ctx context.Context, u *wangge.User, hash string) error {
	for _, code := range u.Units {
		if _, err := tx.currentUnit(ctx, code); err != nil {
			return wangge.FieldError("units", "unknown unit "+code)
		}
	}
	u.CreatedAt = tx.db.Now()
	id, err := tx.insert(ctx, "INSERT INTO users (username, name, role, department_id, password_hash, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		u.Username, u.Name, string(u.Role), u.DepartmentID, hash, u.Disabled, u.CreatedAt)
	if isUniqueViolation(err) {
		return wangge.Errorf(wangge.ECONFLICT, "user %s already exists", u.Username)
	}
	if err != nil {
		return err
	}
	u.ID = id
	for _, code := range u.Units {
		if _, err := tx.exec(ctx, "INSERT INTO assignments (user_id, unit_code) VALUES (?, ?)", id, code); err != nil && !isUniqueViolation(err) {
			return err
		}
	}
	return nil
}

// SetAssignments replaces the units a user is responsible for.
func (db *DB) SetAssignments(ctx context.Context, userID int64, units []string) error {
	if err := requireAdmin(ctx, "assign units"); err != nil {
		return err
	}
	return db.Transact(ctx, func(tx *Tx) error {
		if _, err := tx.userByID(ctx, userID); err != nil {
			return err
		}
		for _, code := range units {
			if _, err := tx.currentUnit(ctx, code); err != nil {
				return wangge.FieldError("units", "unknown unit "+code)
			}
		}
		if _, err := tx.exec(ctx, "DELETE FROM assignments WHERE user_id = ?", userID); err != nil {
			return err
		}
		for _, code := range wangge.NormalizeRoots(units) {
			if _, err := tx.exec(ctx, "INSERT INTO assignments (user_id, unit_code) VALUES (?, ?)", userID, code); err != nil {
				return err
			}
		}
		return nil
	})
}

func (c conn) loadUnits(ctx context.Context, u *wangge.User) error {
	rows, err := c.query(ctx, "SELECT unit_code FROM assignments WHERE user_id = ? ORDER BY unit_code", u.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			return err
		}
		u.Units = append(u.Units, code)
	}
	return rows.Err()
}

func (c conn) userByID(ctx context.Context, id int64) (*wangge.User, error) {
	u, err := scanUser(c.queryRow(ctx, "SELECT "+userCols+" FROM users u WHERE u.id = ?", id))
	if err != nil {
		return nil, notFound(err, "user")
	}
	return u, c.loadUnits(ctx, u)
}

// User returns a user by id; administrators see every user, others only
// themselves.
func (db *DB) User(ctx context.Context, id int64) (*wangge.User, error) {
	me := wangge.UserFromContext(ctx)
	if me == nil || (me.ID != id && !wangge.ScopeOf(me).All) {
		return nil, wangge.Errorf(wangge.ENOTFOUND, "user not found")
	}
	return db.read().userByID(ctx, id)
}

// Users lists users (administrators only), optionally by role.
func (db *DB) Users(ctx context.Context, role wangge.Role, limit, offset int) ([]*wangge.User, int, error) {
	if err := requireAdmin(ctx, "list users"); err != nil {
		return nil, 0, err
	}
	var w where
	if role != "" {
		w.add("u.role = ?", string(role))
	}
	var total int
	if err := db.read().queryRow(ctx, "SELECT COUNT(*) FROM users u"+w.String(), w.args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit, offset = wangge.Page(limit, offset, 100, 1000)
	rows, err := db.read().query(ctx, "SELECT "+userCols+" FROM users u"+w.String()+" ORDER BY u.username LIMIT ? OFFSET ?", append(w.args, limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	out := []*wangge.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	rows.Close()
	for _, u := range out {
		if err := db.read().loadUnits(ctx, u); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// SessionTTL is how long a login lasts.
const SessionTTL = 12 * time.Hour

func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// errBadLogin is the one answer to every failed login, so that it does not
// tell which usernames exist.
var errBadLogin = wangge.Errorf(wangge.EUNAUTHORIZED, "wrong username or password")

// Login checks a username and password and opens a session of the given kind
// ("api" for bearer tokens, "web" for cookies), returning its token. Only
// the token's hash is stored.
func (db *DB) Login(ctx context.Context, username, pw, kind string) (string, *wangge.User, error) {
	var id int64
	var hash string
	var disabled bool
	err := db.read().queryRow(ctx, "SELECT id, password_hash, disabled FROM users WHERE username = ?", username).Scan(&id, &hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		password.Check(dummyHash, pw) // spend the same time as a real check
		return "", nil, errBadLogin
	}
	if err != nil {
		return "", nil, err
	}
	ok, err := password.Check(hash, pw)
	if err != nil {
		return "", nil, fmt.Errorf("user %d: %w", id, err)
	}
	if !ok || disabled {
		return "", nil, errBadLogin
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", nil, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	now := db.Now()
	err = db.Transact(ctx, func(tx *Tx) error {
		// Expired sessions of this user go when a new one comes.
		if _, err := tx.exec(ctx, "DELETE FROM sessions WHERE user_id = ? AND expires_at < ?", id, now); err != nil {
			return err
		}
		_, err := tx.exec(ctx, "INSERT INTO sessions (token_hash, user_id, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
			tokenHash(token), id, kind, now, now.Add(SessionTTL))
		return err
	})
	if err != nil {
		return "", nil, err
	}
	u, err := db.read().userByID(ctx, id)
	return token, u, err
}

var dummyHash = password.Hash("wangge dummy password for timing")

// Authenticate returns the user owning a live session token.
func (db *DB) Authenticate(ctx context.Context, token string) (*wangge.User, error) {
	var id int64
	err := db.read().queryRow(ctx, `SELECT s.user_id FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.expires_at > ? AND NOT u.disabled`, tokenHash(token), db.Now()).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wangge.Errorf(wangge.EUNAUTHORIZED, "not logged in or session expired")
	}
	if err != nil {
		return nil, err
	}
	return db.read().userByID(ctx, id)
}

// Logout ends a session.
func (db *DB) Logout(ctx context.Context, token string) error {
	return db.Transact(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, "DELETE FROM sessions WHERE token_hash = ?", tokenHash(token))
		return err
	})
}

// SetPassword changes a user's password (administrators, or the user).
func (db *DB) SetPassword(ctx context.Context, username, pw string) error {
	if len(pw) < wangge.MinPasswordLength {
		return wangge.FieldError("password", fmt.Sprintf("at least %d characters", wangge.MinPasswordLength))
	}
	me := wangge.UserFromContext(ctx)
	if me == nil || (me.Username != username && !wangge.ScopeOf(me).All) {
		return wangge.Errorf(wangge.EFORBIDDEN, "may not change this password")
	}
	return db.Transact(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, "UPDATE users SET password_hash = ? WHERE username = ?", password.Hash(pw), username)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return wangge.Errorf(wangge.ENOTFOUND, "user %s not found", username)
		}
		_, err = tx.exec(ctx, "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = ?)", username)
		return err
	})
}

// LoadUsers bulk-creates users who share one password hash, with their
// assignments, in one transaction (administrators only). It exists for the
// demo and for importing staff lists, where hashing thousands of passwords
// one by one would take minutes; every user should change the password.
func (db *DB) LoadUsers(ctx context.Context, users []wangge.User, passwordHash string) error {
	if err := requireAdmin(ctx, "load users"); err != nil {
		return err
	}
	for i := range users {
		if err := users[i].Validate(); err != nil {
			return prefixFields(err, fmt.Sprintf("users[%d].", i))
		}
	}
	now := db.Now()
	return db.Transact(ctx, func(tx *Tx) error {
		codes := map[string]bool{}
		for _, u := range users {
			for _, c := range u.Units {
				codes[c] = true
			}
		}
		known, err := tx.unitsByCode(ctx, codes)
		if err != nil {
			return err
		}
		for i, u := range users {
			for _, c := range u.Units {
				if known[c] == nil {
					return wangge.FieldError(fmt.Sprintf("users[%d].units", i), "unknown unit "+c)
				}
			}
		}
		first, err := tx.reserveIDs(ctx, "users", len(users))
		if err != nil {
			return err
		}
		err = tx.bulkInsert(ctx, "users", []string{"id", "username", "name", "role", "department_id", "password_hash", "disabled", "created_at"}, len(users),
			func(i int, dst []any) []any {
				u := &users[i]
				u.ID, u.CreatedAt = first+int64(i), now
				return append(dst, u.ID, u.Username, u.Name, string(u.Role), u.DepartmentID, passwordHash, u.Disabled, now)
			})
		if isUniqueViolation(err) {
			return wangge.Errorf(wangge.ECONFLICT, "one of these usernames already exists")
		}
		if err != nil {
			return err
		}
		var pairs [][2]any
		for _, u := range users {
			for _, code := range wangge.NormalizeRoots(u.Units) {
				pairs = append(pairs, [2]any{u.ID, code})
			}
		}
		return tx.bulkInsert(ctx, "assignments", []string{"user_id", "unit_code"}, len(pairs), func(i int, dst []any) []any {
			return append(dst, pairs[i][0], pairs[i][1])
		})
	})
}

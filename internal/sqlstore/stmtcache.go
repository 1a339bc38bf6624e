package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// Prepared statements on SQLite. The driver parses and plans every query
// it is given; for the short statements of the case loop that took a
// quarter of intake's CPU. stmtCache keeps one *sql.Stmt per query text for
// a pool (database/sql prepares it once on each connection that runs it),
// and a transaction borrows it with Tx.StmtContext. The writer has one
// connection, which a transaction holds, so a statement first met inside a
// transaction runs unprepared and is noted; the committer prepares the
// noted ones between batches, when the connection is free. PostgreSQL's
// driver (pgx) caches statements per connection itself.

// maxCached bounds the cache: queries are a fixed set of literals, but a few
// are generated (IN lists of varying length) and must not grow it for ever.
const (
	maxCached      = 512
	maxCachedBytes = 4096
)

type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	wanted map[string]bool // met inside transactions, to prepare later
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, wanted: map[string]bool{}}
}

// lookup returns the prepared statement of q if there is one; otherwise it
// notes q for prepareWanted.
func (c *stmtCache) lookup(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.m[q]
	if st == nil && len(q) <= maxCachedBytes && len(c.m)+len(c.wanted) < maxCached {
		c.wanted[q] = true
	}
	return st
}

// prepareWanted prepares the statements noted by lookup; the caller makes
// sure that a connection of the pool is free.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.Lock()
	var qs []string
	for q := range c.wanted {
		qs = append(qs, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range qs {
		c.get(ctx, q)
	}
}

// get returns the prepared statement of q, preparing it on the pool if
// needed, or nil when q is not cached (too long, the cache full, or
// preparing failed: the caller then runs q directly and gets the error
// there).
func (c *stmtCache) get(ctx context.Context, q string) *sql.Stmt {
	if len(q) > maxCachedBytes {
		return nil
	}
	c.mu.Lock()
	st, ok := c.m[q]
	c.mu.Unlock()
	if ok {
		return st
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[q]; ok {
		st.Close()
		return prev
	}
	if len(c.m) >= maxCached {
		st.Close()
		return nil
	}
	c.m[q] = st
	return st
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// cachedPool runs queries on a pool through the cache.
type cachedPool struct {
	db    *sql.DB
	cache *stmtCache
}

func (p cachedPool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := p.cache.get(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return p.db.ExecContext(ctx, q, args...)
}

func (p cachedPool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := p.cache.get(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return p.db.QueryContext(ctx, q, args...)
}

func (p cachedPool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := p.cache.get(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return p.db.QueryRowContext(ctx, q, args...)
}

// cachedTx runs a transaction's queries through the writer's cache.
type cachedTx struct {
	tx    *sql.Tx
	cache *stmtCache
}

func (t cachedTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.cache.lookup(q); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

func (t cachedTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.cache.lookup(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, q, args...)
}

func (t cachedTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.cache.lookup(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}

// sqlTx returns the database/sql transaction under tx.
func (tx *Tx) sqlTx() *sql.Tx {
	if t, ok := tx.q.(cachedTx); ok {
		return t.tx
	}
	return tx.q.(*sql.Tx)
}

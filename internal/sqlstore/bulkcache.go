package sqlstore

import (
	"context"
	"fmt"
)

// SetWriterCache sets the page cache of the SQLite writer connection to mb
// megabytes (the default is 32) for the rest of its life; PostgreSQL
// ignores it. A bulk load that inserts into indexes which no longer fit
// the cache spills dirty pages into the write-ahead log mid-transaction and
// writes the same pages again and again; a cache that holds them writes
// each once at commit.
func (db *DB) SetWriterCache(ctx context.Context, mb int) error {
	if db.dialect != SQLite {
		return nil
	}
	if mb < 1 {
		return fmt.Errorf("writer cache: %d MB", mb)
	}
	_, err := db.w.ExecContext(ctx, fmt.Sprintf("PRAGMA cache_size = -%d", mb*1024))
	return err
}

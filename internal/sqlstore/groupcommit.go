package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// Group commit on SQLite. The writer runs with synchronous=FULL, so a
// commit returns only once the WAL is on disk: a report is acknowledged only
// after it is durable. One fsync per transaction would cap intake at the
// disk's fsync rate, so the transactions waiting at any moment are run by
// one committer goroutine inside one SQLite transaction, each under its own
// savepoint, and committed together: one fsync acknowledges them all. A
// transaction that fails is rolled back to its savepoint alone; the others
// commit. SQLite has one writer anyway, so nothing is serialised that was
// not already.

// maxGroup bounds the transactions committed together, so that one commit
// never waits on a long queue.
const maxGroup = 256

// groupJob is one transaction waiting for the committer.
type groupJob struct {
	ctx  context.Context
	fn   func(tx *Tx) error
	done chan groupResult
}

type groupResult struct {
	err   error
	panic any
}

// committer owns the SQLite writer's transactions.
type committer struct {
	db       *DB
	jobs     chan *groupJob
	quit     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

func startCommitter(db *DB) *committer {
	c := &committer{db: db, jobs: make(chan *groupJob, maxGroup), quit: make(chan struct{})}
	c.wg.Add(1)
	go c.loop()
	return c
}

// stop ends the committer after the batch in hand; later transactions fail.
func (c *committer) stop() {
	c.stopOnce.Do(func() { close(c.quit) })
	c.wg.Wait()
}

var errClosed = fmt.Errorf("sqlstore: database closed")

// run hands fn to the committer and waits for its outcome.
func (c *committer) run(ctx context.Context, fn func(tx *Tx) error) error {
	j := &groupJob{ctx: ctx, fn: fn, done: make(chan groupResult, 1)}
	select {
	case c.jobs <- j:
	case <-c.quit:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued the job runs (or is refused for its context) and answers:
	// waiting here keeps a caller from leaving while its writes may commit.
	r := <-j.done
	if r.panic != nil {
		panic(r.panic)
	}
	return r.err
}

func (c *committer) loop() {
	defer c.wg.Done()
	batch := make([]*groupJob, 0, maxGroup)
	for {
		select {
		case <-c.quit:
			c.drain()
			return
		case j := <-c.jobs:
			batch = append(batch[:0], j)
		}
	fill:
		for len(batch) < maxGroup {
			select {
			case j := <-c.jobs:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		c.commit(batch)
	}
}

// drain refuses what is still queued at stop.
func (c *committer) drain() {
	for {
		select {
		case j := <-c.jobs:
			j.done <- groupResult{err: errClosed}
		default:
			return
		}
	}
}

// commit runs a batch in one transaction and answers every job.
func (c *committer) commit(batch []*groupJob) {
	results := make([]groupResult, len(batch))
	sqlTx, err := c.db.w.BeginTx(context.Background(), nil)
	if err != nil {
		for _, j := range batch {
			j.done <- groupResult{err: fmt.Errorf("begin: %w", err)}
		}
		return
	}
	tx := &Tx{conn: conn{cachedTx{sqlTx, c.db.wstmt}, c.db.dialect}, db: c.db}
	// Between batches the writer's connection is free: prepare what the
	// last ones ran unprepared.
	defer c.db.wstmt.prepareWanted(context.Background())
	alone := len(batch) == 1
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i].err = err
			continue
		}
		if !alone {
			if _, err := sqlTx.ExecContext(context.Background(), "SAVEPOINT g"); err != nil {
				results[i].err = fmt.Errorf("savepoint: %w", err)
				continue
			}
		}
		results[i] = runJob(j.fn, tx)
		if alone {
			break
		}
		if results[i].err != nil || results[i].panic != nil {
			if err := rollbackTo(sqlTx); err != nil {
				// The transaction is in an unknown state: give it up whole.
				_ = sqlTx.Rollback()
				for k, j := range batch {
					if k != i {
						results[k] = groupResult{err: fmt.Errorf("rolled back with a failed transaction: %w", err)}
					}
					j.done <- results[k]
				}
				return
			}
		} else if _, err := sqlTx.ExecContext(context.Background(), "RELEASE g"); err != nil {
			results[i].err = fmt.Errorf("release: %w", err)
		}
	}
	if alone && (results[0].err != nil || results[0].panic != nil) {
		_ = sqlTx.Rollback()
		batch[0].done <- results[0]
		return
	}
	if err := sqlTx.Commit(); err != nil {
		for i := range results {
			if results[i].err == nil && results[i].panic == nil {
				results[i].err = fmt.Errorf("commit: %w", err)
			}
		}
	}
	for i, j := range batch {
		j.done <- results[i]
	}
}

// runJob runs one transaction's function, turning a panic into a result
// that the caller's goroutine re-raises.
func runJob(fn func(tx *Tx) error, tx *Tx) (r groupResult) {
	defer func() {
		if p := recover(); p != nil {
			r.panic = p
		}
	}()
	r.err = fn(tx)
	return r
}

func rollbackTo(tx *sql.Tx) error {
	if _, err := tx.ExecContext(context.Background(), "ROLLBACK TO g"); err != nil {
		return err
	}
	_, err := tx.ExecContext(context.Background(), "RELEASE g")
	return err
}

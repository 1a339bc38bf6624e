package bench

import (
	"context"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/caseflow"
	"github.com/wangge/wangge/internal/sqlstore"
)

// LoadOpenCases stores n open cases as the case loop would have left them
// (reported over the last ten days, in every open status, in the first
// thousand micro-grids), so that the mixed bench's task lists, map and
// dashboard read a database with a backlog rather than only the day's own
// cases. Their next looks are two days away: the server's scheduler leaves
// them alone during the run. It returns how long the load took.
func LoadOpenCases(ctx context.Context, db *sqlstore.DB, svc *caseflow.Service, n int, seed uint64) (time.Duration, error) {
	f, err := newFiller(ctx, db, svc, seed)
	if err != nil {
		return 0, err
	}
	sys := wangge.NewContextWithUser(ctx, &wangge.User{Username: "system", Role: wangge.RoleAdmin})
	f.now0 = db.Now()
	f.horizon = f.now0.Add(48 * time.Hour)
	t0 := time.Now()
	_, err = db.LoadCases(sys, n, f.background)
	return time.Since(t0), err
}

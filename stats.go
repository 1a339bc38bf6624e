package wangge

import "time"

// The statistics of the loop are kept as rollups: each case contributes one
// vector of counts to the row of its report day, unit, category and current
// department, and every change of the case moves its contribution. A
// question about any unit subtree and period then sums rollup rows and
// never scans the cases.

// RollupStatuses are the statuses counted, in column order.
var RollupStatuses = []Status{StatusReported, StatusAccepted, StatusDispatched, StatusInProgress, StatusHandled,
	StatusVerified, StatusClosed, StatusRated, StatusRejected, StatusMerged, StatusSuspended}

// RollupKey is the row a case counts in.
type RollupKey struct {
	Day          string // report day in China time, 2006-01-02
	UnitCode     string
	Category     string
	DepartmentID int64 // 0: none yet
}

// RollupVector is a case's contribution: one per status column, then
// closed on time (closed or rated, never overdue), ever overdue, open and
// red now (past the deadline of its current step), and its rating (rated
// cases; 1..5).
type RollupVector [15]int

// Columns of a RollupVector after the statuses.
const (
	RollupOnTime    = 11
	RollupOverdue   = 12
	RollupRed       = 13
	RollupRatingSum = 14
)

// Rollup returns the row and the contribution of a case.
func Rollup(c *Case) (RollupKey, RollupVector) {
	var v RollupVector
	for i, s := range RollupStatuses {
		if c.Status == s {
			v[i] = 1
		}
	}
	done := c.Status == StatusClosed || c.Status == StatusRated
	if done && !c.Overdue {
		v[RollupOnTime] = 1
	}
	if c.Overdue {
		v[RollupOverdue] = 1
	}
	if c.Status.Open() && c.Light == "red" {
		v[RollupRed] = 1
	}
	if c.Status == StatusRated {
		v[RollupRatingSum] = c.Rating
	}
	k := RollupKey{Day: c.ReportedAt.In(ChinaTime).Format("2006-01-02"), UnitCode: c.UnitCode, Category: c.Category}
	if c.DepartmentID != nil {
		k.DepartmentID = *c.DepartmentID
	}
	return k, v
}

// Stats is a sum of rollups with the rates the evaluation uses.
type Stats struct {
	Key          string         `json:"key,omitempty"`     // the group: a status, category, unit code or department id
	NameZH       string         `json:"name_zh,omitempty"` // the unit's name, grouped by unit
	NameEN       string         `json:"name_en,omitempty"`
	Reported     int            `json:"reported"` // every case reported in the period
	ByStatus     map[Status]int `json:"by_status"`
	Open         int            `json:"open"`
	Closed       int            `json:"closed"` // closed or rated
	ClosedOnTime int            `json:"closed_on_time"`
	Overdue      int            `json:"overdue"` // ever overdue
	Red          int            `json:"red"`     // open and past the deadline of the current step now
	Rated        int            `json:"rated"`
	Satisfaction float64        `json:"satisfaction"` // mean rating of the rated cases, 1..5 (0: none rated)
	DueToClose   int            `json:"due_to_close"` // 应结案数: reported minus rejected and merged
	ClosureRate  float64        `json:"closure_rate"` // 结案率 = closed / due to close
	OnTimeRate   float64        `json:"on_time_rate"` // 按期结案率 = closed on time / due to close
}

// StatsOf turns a summed vector into Stats.
func StatsOf(key string, v RollupVector) Stats {
	s := Stats{Key: key, ByStatus: map[Status]int{}}
	for i, st := range RollupStatuses {
		s.Reported += v[i]
		if v[i] != 0 {
			s.ByStatus[st] = v[i]
		}
		if st.Open() {
			s.Open += v[i]
		}
	}
	s.Closed = v[6] + v[7]
	s.ClosedOnTime, s.Overdue, s.Red, s.Rated = v[RollupOnTime], v[RollupOverdue], v[RollupRed], v[7]
	if s.Rated > 0 {
		s.Satisfaction = float64(v[RollupRatingSum]) / float64(s.Rated)
	}
	s.DueToClose = s.Reported - v[8] - v[9]
	if s.DueToClose > 0 {
		s.ClosureRate = float64(s.Closed) / float64(s.DueToClose)
		s.OnTimeRate = float64(s.ClosedOnTime) / float64(s.DueToClose)
	}
	return s
}

// StatsFilter selects the cases a statistic is about.
type StatsFilter struct {
	Unit       string     // subtree (must lie in the caller's scope)
	From, To   *time.Time // report time, China days
	Category   string     // code or major prefix
	Department int64
	GroupBy    string // "", "status", "category", "major", "unit", "children", "department", "day"
	UnitDepth  int    // group by unit: code length to group at (e.g. 12 for communities)

	// GroupBy "children" groups by the first level below the unit (or the
	// scope) where the territory divides: the streets of a county, the
	// counties of a province, the wards of a city whose only unit at the
	// top is the city.
}

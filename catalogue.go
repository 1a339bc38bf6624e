package wangge

import (
	"fmt"
	"strings"
	"time"
)

// Kind is the broad class of a case.
type Kind string

// Case kinds.
const (
	KindEvent    Kind = "event"    // 事件: a happening (GB/T 30428 events)
	KindFacility Kind = "facility" // 部件: a defect of a public facility
	KindDispute  Kind = "dispute"  // 矛盾纠纷
	KindHazard   Kind = "hazard"   // 治安隐患 / 安全隐患
	KindService  Kind = "service"  // 民生服务: a livelihood service request
)

// Kinds lists the case kinds.
var Kinds = []Kind{KindEvent, KindFacility, KindDispute, KindHazard, KindService}

// Limit is a time limit on a step. Most limits are working time on the
// county's calendar: "hours" (工作时) and "days" (工作日). Some run on plain
// elapsed time whatever the calendar says, such as the 60 days of a petition
// or a city's 120 days for a housing inspection: "natural_days" (自然日) and
// "natural_hours" (elapsed hours).
type Limit struct {
	Value int    `json:"value"`
	Unit  string `json:"unit"` // hours, days, natural_hours or natural_days
}

// The units of a Limit.
const (
	LimitHours        = "hours"
	LimitDays         = "days"
	LimitNaturalHours = "natural_hours"
	LimitNaturalDays  = "natural_days"
)

// MaxLimit is the largest Value a Limit accepts in any unit.
const MaxLimit = 1000

// Natural reports whether the limit runs on elapsed time rather than on the
// working calendar.
func (l Limit) Natural() bool { return l.Unit == LimitNaturalHours || l.Unit == LimitNaturalDays }

// Duration is the limit as time on its own clock: working time given the
// length of a working day, or elapsed time for a natural limit.
func (l Limit) Duration(day time.Duration) time.Duration {
	switch l.Unit {
	case LimitDays:
		return time.Duration(l.Value) * day
	case LimitNaturalDays:
		return time.Duration(l.Value) * 24 * time.Hour
	}
	return time.Duration(l.Value) * time.Hour
}

func (l Limit) valid() bool {
	switch l.Unit {
	case LimitHours, LimitDays, LimitNaturalHours, LimitNaturalDays:
		return l.Value > 0 && l.Value <= MaxLimit
	}
	return false
}

// Limits holds the time limit of each step of the loop.
type Limits struct {
	Accept   Limit `json:"accept"`
	Dispatch Limit `json:"dispatch"`
	Handle   Limit `json:"handle"`
	Verify   Limit `json:"verify"`
}

// Category is one node of the case catalogue: a major class (two digits)
// or a minor one (four: major + two), which is where cases are filed.
type Category struct {
	Code             string   `json:"code"`
	Kind             Kind     `json:"kind"`
	NameZH           string   `json:"name_zh"`
	NameEN           string   `json:"name_en"`
	FilingCondition  string   `json:"filing_condition,omitempty"`  // 立案条件
	ClosingCondition string   `json:"closing_condition,omitempty"` // 结案条件
	Department       string   `json:"department,omitempty"`        // default department code
	Level            Level    `json:"level,omitempty"`             // the level that handles it: grid, community, street, county
	Item             string   `json:"item,omitempty"`              // the grid duty (事项清单) item it falls under
	Limits           Limits   `json:"limits"`                      // per step; urgent cases get half
	AutoEscalate     bool     `json:"auto_escalate,omitempty"`     // escalate when the handling limit passes
	SkipToLevel      Level    `json:"skip_to_level,omitempty"`     // 越级: escalate straight to this level
	Urgencies        []string `json:"urgencies,omitempty"`         // e.g. normal, urgent, critical
}

// Leaf reports whether cases are filed under this category.
func (c *Category) Leaf() bool { return len(c.Code) == 4 }

// DutyItem is one line of the approved list of grid duties (网格事项准入清单):
// what is not on the list does not go to grid workers.
type DutyItem struct {
	Code       string `json:"code"`
	NameZH     string `json:"name_zh"`
	NameEN     string `json:"name_en"`
	Department string `json:"department,omitempty"` // the department that owns the duty
	GridDuty   bool   `json:"grid_duty"`            // grid workers may be tasked with it
}

// Catalogue is the case catalogue together with the grid duty list.
type Catalogue struct {
	Items      []DutyItem `json:"items"`
	Categories []Category `json:"categories"`
}

// Validate checks the whole catalogue: codes, kinds, names, that every leaf
// has a major above it, limits on every step, and that every leaf maps to a
// duty item of the list. departments, when not nil, are the known
// department codes.
func (cat *Catalogue) Validate(departments map[string]bool) error {
	var v Validation
	items := map[string]bool{}
	for i, it := range cat.Items {
		f := fmt.Sprintf("items[%d].", i)
		if !ValidCode(it.Code) {
			v.Add(f+"code", "must be letters or digits")
		} else if items[it.Code] {
			v.Add(f+"code", "duplicate "+it.Code)
		}
		items[it.Code] = true
		requireNames(&v, f, it.NameZH, it.NameEN)
		if departments != nil && it.Department != "" && !departments[it.Department] {
			v.Add(f+"department", "unknown department "+it.Department)
		}
	}
	majors := map[string]Kind{}
	seen := map[string]bool{}
	for i, c := range cat.Categories {
		f := fmt.Sprintf("categories[%d].", i)
		if (len(c.Code) != 2 && len(c.Code) != 4) || !allDigits(c.Code) {
			v.Add(f+"code", "two digits for a major class, four for a minor one")
			continue
		}
		if seen[c.Code] {
			v.Add(f+"code", "duplicate "+c.Code)
		}
		seen[c.Code] = true
		if !contains(kindNames(), string(c.Kind)) {
			v.Add(f+"kind", "one of event, facility, dispute, hazard, service")
		}
		requireNames(&v, f, c.NameZH, c.NameEN)
		if !c.Leaf() {
			majors[c.Code] = c.Kind
			continue
		}
		if k, ok := majors[c.Code[:2]]; !ok {
			v.Add(f+"code", "no major class "+c.Code[:2]+" above it (list majors first)")
		} else if k != c.Kind {
			v.Add(f+"kind", "differs from its major class")
		}
		if !items[c.Item] {
			v.Add(f+"item", "must name an item of the grid duty list")
		}
		for step, l := range map[string]Limit{"accept": c.Limits.Accept, "dispatch": c.Limits.Dispatch, "handle": c.Limits.Handle, "verify": c.Limits.Verify} {
			if !l.valid() {
				v.Add(f+"limits."+step, "a value from 1 to 1000 in hours, days, natural_hours or natural_days")
			}
		}
		switch c.Level {
		case LevelGrid, LevelCommunity, LevelStreet, LevelCounty:
		default:
			v.Add(f+"level", "grid, community, street or county")
		}
		if c.SkipToLevel != "" {
			if _, err := escalationTarget(c.Level, c.SkipToLevel); err != nil {
				v.Add(f+"skip_to_level", "must lie above the handling level")
			}
		}
		if departments != nil && c.Department != "" && !departments[c.Department] {
			v.Add(f+"department", "unknown department "+c.Department)
		}
	}
	return v.Err()
}

func requireNames(v *Validation, prefix, zh, en string) {
	if strings.TrimSpace(zh) == "" {
		v.Add(prefix+"name_zh", "required")
	}
	if strings.TrimSpace(en) == "" {
		v.Add(prefix+"name_en", "required")
	}
}

func kindNames() []string {
	out := make([]string, len(Kinds))
	for i, k := range Kinds {
		out[i] = string(k)
	}
	return out
}

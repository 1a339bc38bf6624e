package wangge

import (
	"math"
	"strings"
	"time"
)

// Level is the level of a unit in the territory tree.
type Level string

// The levels, from the top of the tree down.
const (
	LevelProvince  Level = "province"
	LevelCity      Level = "city"
	LevelCounty    Level = "county"
	LevelStreet    Level = "street"
	LevelCommunity Level = "community"
	LevelGrid      Level = "grid"
	LevelMicroGrid Level = "micro_grid"
	LevelBuilding  Level = "building"
)

// Levels lists every level from the top down.
var Levels = []Level{LevelProvince, LevelCity, LevelCounty, LevelStreet, LevelCommunity, LevelGrid, LevelMicroGrid, LevelBuilding}

// Rank is the depth of the level: province 0 .. building 7; -1 if unknown.
func (l Level) Rank() int {
	for i, x := range Levels {
		if x == l {
			return i
		}
	}
	return -1
}

// Valid reports whether l is a known level.
func (l Level) Valid() bool { return l.Rank() >= 0 }

// Name returns the Chinese and English names of the level.
func (l Level) Name() (zh, en string) {
	switch l {
	case LevelProvince:
		return "省", "province"
	case LevelCity:
		return "市", "city"
	case LevelCounty:
		return "县区", "county"
	case LevelStreet:
		return "乡镇街道", "street/town"
	case LevelCommunity:
		return "社区村", "community/village"
	case LevelGrid:
		return "网格", "grid"
	case LevelMicroGrid:
		return "微网格", "micro-grid"
	case LevelBuilding:
		return "楼栋", "building"
	}
	return string(l), string(l)
}

// codeLengths is the length of a unit code at each level under the GB/T 2260
// and statistical coding scheme: province 2, city 4, county 6, street 9,
// community 12, grid +3, micro-grid +3, building +4.
var codeLengths = map[Level]int{
	LevelProvince: 2, LevelCity: 4, LevelCounty: 6, LevelStreet: 9,
	LevelCommunity: 12, LevelGrid: 15, LevelMicroGrid: 18, LevelBuilding: 22,
}

// CodeLength returns the standard code length at level l.
func CodeLength(l Level) int { return codeLengths[l] }

// UnitType distinguishes comprehensive grids from exclusive ones.
type UnitType string

// Unit types.
const (
	UnitComprehensive UnitType = "comprehensive" // 综合网格
	UnitExclusive     UnitType = "exclusive"     // 专属网格: a school, a park, a market
)

// Unit is one version of one node of the territory tree. A split, merge or
// redraw closes the current version (ValidTo) and opens a new one, so that
// records made under the old boundary keep pointing at the unit they were in.
type Unit struct {
	ID         int64       `json:"id"`
	Code       string      `json:"code"`
	ParentCode string      `json:"parent_code,omitempty"`
	Level      Level       `json:"level"`
	NameZH     string      `json:"name_zh"`
	NameEN     string      `json:"name_en,omitempty"`
	Type       UnitType    `json:"type"`
	Households int         `json:"households"`
	Population int         `json:"population"`
	Boundary   string      `json:"boundary,omitempty"` // GeoJSON MultiPolygon, WGS84
	BBox       *[4]float64 `json:"bbox,omitempty"`     // min lon, min lat, max lon, max lat
	Version    int         `json:"version"`
	ValidFrom  time.Time   `json:"valid_from"`
	ValidTo    *time.Time  `json:"valid_to,omitempty"`
}

// ValidCode reports whether code is a unit code: 1 to 32 ASCII letters or
// digits. Codes are hierarchical (a child's code extends its parent's), which
// makes "the subtree of X" a prefix range on an index.
func ValidCode(code string) bool {
	if len(code) == 0 || len(code) > 32 {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// CodeUpperBound returns the smallest string greater than every code that
// starts with prefix, so that the subtree is code >= prefix AND code < bound.
func CodeUpperBound(prefix string) string { return prefix + "~" }

// InSubtree reports whether code lies in the subtree rooted at root.
func InSubtree(code, root string) bool { return strings.HasPrefix(code, root) }

// Validate checks a unit's own fields and its relation to its parent (nil
// for a root). Boundary geometry is checked by the geo adapter.
func (u *Unit) Validate(parent *Unit) error {
	var v Validation
	if !ValidCode(u.Code) {
		v.Add("code", "must be 1-32 letters or digits")
	}
	if !u.Level.Valid() {
		v.Add("level", "unknown level")
	}
	if strings.TrimSpace(u.NameZH) == "" {
		v.Add("name_zh", "required")
	} else if len(u.NameZH) > 200 {
		v.Add("name_zh", "too long")
	}
	if len(u.NameEN) > 200 {
		v.Add("name_en", "too long")
	}
	switch u.Type {
	case "":
		u.Type = UnitComprehensive
	case UnitComprehensive, UnitExclusive:
	default:
		v.Add("type", "must be comprehensive or exclusive")
	}
	if u.Households < 0 {
		v.Add("households", "must not be negative")
	}
	if u.Population < 0 {
		v.Add("population", "must not be negative")
	}
	if parent == nil && u.ParentCode != "" {
		v.Add("parent_code", "unknown parent")
	}
	if parent != nil {
		if u.Level.Valid() && parent.Level.Rank() >= u.Level.Rank() {
			v.Add("level", "must be below the parent's level "+string(parent.Level))
		}
		if ValidCode(u.Code) && (!strings.HasPrefix(u.Code, parent.Code) || len(u.Code) == len(parent.Code)) {
			v.Add("code", "must extend the parent code "+parent.Code)
		}
	}
	return v.Err()
}

// UnitFilter selects units in a listing.
type UnitFilter struct {
	Level  Level
	Parent string // parent code
	Under  string // any unit in this subtree
	Q      string // name contains
	AsOf   *time.Time
	// BBox keeps the units whose bounding box meets this box (min lon, min
	// lat, max lon, max lat, WGS84); units without a boundary drop out.
	BBox *[4]float64
	// WithBoundary includes each unit's GeoJSON boundary.
	WithBoundary bool
	Limit        int
	Offset       int
}

// ValidBBox reports whether b is a box a filter can use: four finite
// numbers, longitudes within ±180 and latitudes within ±90, each minimum
// below its maximum.
func ValidBBox(b [4]float64) bool {
	for _, x := range b {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return b[0] >= -180 && b[2] <= 180 && b[1] >= -90 && b[3] <= 90 && b[0] < b[2] && b[1] < b[3]
}

// Page normalises limit and offset: limit 1..max, default def.
func Page(limit, offset, def, max int) (int, int) {
	if limit <= 0 {
		limit = def
	}
	if limit > max {
		limit = max
	}
	if offset < 0 {
		offset = 0
	}
	return limit, offset
}

// UnitChangeKind says what a recorded change of the territory did.
type UnitChangeKind string

// The kinds of recorded change.
const (
	UnitSplit UnitChangeKind = "split" // one unit became several siblings
	UnitMerge UnitChangeKind = "merge" // several siblings became one unit
)

// UnitChange is one split or merge, as recorded in the history of the units
// it touched, or as planned by a dry run. The units in From are retired
// (their last version closed); the units in To replace them under the same
// parent. Every current descendant of a retired unit is given a new code
// under its new parent (Moves), because a code extends its parent's code:
// that is what makes a scope a prefix range.
type UnitChange struct {
	ID    int64          `json:"id,omitempty"`
	Kind  UnitChangeKind `json:"kind"`
	From  []string       `json:"from"`
	To    []string       `json:"to"`
	Moves []UnitMove     `json:"moves"`
	// CasesMoved counts the open cases filed under a retired unit that were
	// relocated to its successor (each with a timeline row); closed ones
	// stay where they were filed.
	CasesMoved int `json:"cases_moved"`
	// AssignmentsMoved counts the users' assignments carried from retired
	// units to their successors.
	AssignmentsMoved int `json:"assignments_moved"`
	// RegistryMoved counts the buildings, households and people of the
	// registry moved from retired units to their successors: they are where
	// people live, not records of the past, so they follow their ground.
	RegistryMoved RegistryCounts `json:"registry_moved"`
	Coverage      *Coverage      `json:"coverage,omitempty"` // splits: how the parts cover the old unit
	ActorID       *int64         `json:"actor_id,omitempty"`
	Actor         string         `json:"actor,omitempty"` // username
	At            time.Time      `json:"at"`
	Note          string         `json:"note,omitempty"`
	DryRun        bool           `json:"dry_run,omitempty"`
	Units         []*Unit        `json:"units,omitempty"` // the new units, with boundaries (not kept in the history)
}

// RegistryCounts counts registry rows by kind. After a split, Unplaced of
// them had no location of their own (a building without a point, a
// household without a building, a person without a household) and went to
// the first part: someone who knows the ground should check them.
type RegistryCounts struct {
	Buildings  int `json:"buildings"`
	Households int `json:"households"`
	Persons    int `json:"persons"`
	Unplaced   int `json:"unplaced"`
}

// UnitMove is a descendant of a retired unit given a new code under the
// unit that now contains it.
type UnitMove struct {
	From   string `json:"from"`
	To     string `json:"to"`
	NameZH string `json:"name_zh,omitempty"`
	NameEN string `json:"name_en,omitempty"`
}

// Coverage compares the parts of a split with the unit they replace, areas
// in square metres.
type Coverage struct {
	OldArea   float64   `json:"old_area_m2"`
	PartsArea float64   `json:"parts_area_m2"`
	Ratio     float64   `json:"ratio"` // PartsArea / OldArea
	Parts     []float64 `json:"part_areas_m2"`
}

// Package gen generates a synthetic province for scale tests: a territory
// tree of cities, counties, streets, communities and grids whose boundaries
// tile Zhejiang's bounding box exactly, and two years of historical cases
// with realistic category, status and duration mixes. It is pure and
// deterministic: no I/O, and the same parameters give the same province and
// the same cases. A loader elsewhere stores them (see `wangge gen`).
//
// Everything is computed on demand from the seed and an index (unit i, case
// i), so that a million grids and ten million cases never have to be held in
// memory at once: the province keeps a few arrays per grid, a unit's
// boundary and a case are made when asked for.
package gen

import (
	"fmt"
	"math"
	"time"

	"github.com/wangge/wangge"
)

// The bounds `wangge gen` accepts.
const (
	MaxGrids = 1_000_000
	MaxCases = 10_000_000
)

// Span is how far back the generated cases go from "now".
const Span = 2 * 365 * 24 * time.Hour

// Params are what a generated province depends on.
type Params struct {
	Grids int       // grids (网格), 1..MaxGrids
	Cases int       // historical cases, 0..MaxCases
	Seed  uint64    // the same seed gives the same province and cases
	Now   time.Time // the cases are reported in the two years before it
}

// Validate refuses parameters the generator cannot honour, naming the
// parameter and the range it must lie in.
func (p Params) Validate() error {
	var v wangge.Validation
	switch {
	case p.Grids < 1:
		v.Add("grids", fmt.Sprintf("must be at least 1 (got %d)", p.Grids))
	case p.Grids > MaxGrids:
		v.Add("grids", fmt.Sprintf("must be at most %d (got %d): a province of more grids does not fit the unit codes' fan-outs", MaxGrids, p.Grids))
	}
	switch {
	case p.Cases < 0:
		v.Add("cases", fmt.Sprintf("must not be negative (got %d)", p.Cases))
	case p.Cases > MaxCases:
		v.Add("cases", fmt.Sprintf("must be at most %d (got %d)", MaxCases, p.Cases))
	}
	switch {
	case p.Now.IsZero():
		v.Add("now", "required")
	case p.Now.Year() < 2000 || p.Now.Year() > 2100:
		v.Add("now", fmt.Sprintf("must lie between the years 2000 and 2100 (got %s)", p.Now.Format(time.RFC3339)))
	}
	return v.Err()
}

// mix hashes x into 64 well-mixed bits (the SplitMix64 finaliser).
func mix(x uint64) uint64 {
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash returns random-looking bits that depend on the seed, a stream
// (what they are for) and an index only.
func hash(seed, stream, i uint64) uint64 {
	return mix(seed*0x9e3779b97f4a7c15 ^ mix(stream<<40^i+0x632be59bd9b4e019))
}

// unit01 maps 53 bits of h to [0, 1).
func unit01(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// normal returns a standard normal deviate from two hashes (Box-Muller).
func normal(h1, h2 uint64) float64 {
	u := max(unit01(h1), 1e-300)
	return math.Sqrt(-2*math.Log(u)) * math.Cos(2*math.Pi*unit01(h2))
}

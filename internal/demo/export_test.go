package demo

import (
	"time"

	"github.com/wangge/wangge/internal/geo"
)

// LayoutAttempts reports how many lattice draws the layout of seed needed
// (1 is the first), or 0 if it failed, so that tests can try many seeds
// without generating whole counties.
func LayoutAttempts(seed int64, center geo.Point, areaKM2 float64, communities []Community) int {
	_, _, _, attempts, _ := newGenerator(seed, communities, time.Time{}).geometry(center, areaKM2)
	return attempts
}

package calendar

import (
	"math/bits"
	"time"
)

// Light is the supervision (督办) traffic light of a step with a time limit.
type Light string

// The three lights.
const (
	Green  Light = "green"  // under 80 % of the limit used
	Yellow Light = "yellow" // 80 % of the limit used, not yet overdue
	Red    Light = "red"    // overdue: the whole limit used
)

// TrafficLight returns the light for a step that has used elapsed of its
// limit: green under 80 %, yellow from 80 % up to 100 %, red when elapsed >=
// limit. A limit <= 0 is red whatever has elapsed: a step allowed no time is
// due at once, and a missing limit should be caught before asking for a
// light rather than shown as green.
func TrafficLight(elapsed, limit time.Duration) Light {
	switch {
	case limit <= 0 || elapsed >= limit:
		return Red
	case elapsed < 0:
		return Green
	}
	// elapsed < 0.8 × limit, as 5 × elapsed < 4 × limit in 128 bits: exact,
	// where float arithmetic would misplace a limit not divisible by 5.
	eh, el := bits.Mul64(uint64(elapsed), 5)
	lh, ll := bits.Mul64(uint64(limit), 4)
	if eh < lh || eh == lh && el < ll {
		return Green
	}
	return Yellow
}

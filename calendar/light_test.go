package calendar_test

import (
	"testing"
	"time"

	"github.com/wangge/wangge/calendar"
)

func TestTrafficLight(t *testing.T) {
	limit := 3 * 7 * time.Hour // 3 working days of a Chinese office
	pct := func(permille int64) time.Duration { return time.Duration(int64(limit) * permille / 1000) }
	tests := []struct {
		name           string
		elapsed, limit time.Duration
		want           calendar.Light
	}{
		{"nothing elapsed", 0, limit, calendar.Green},
		{"79.9 %", pct(799), limit, calendar.Green},
		{"a nanosecond under 80 %", pct(800) - 1, limit, calendar.Green},
		{"80 %", pct(800), limit, calendar.Yellow},
		{"99.9 %", pct(999), limit, calendar.Yellow},
		{"a nanosecond under 100 %", limit - 1, limit, calendar.Yellow},
		{"100 % is overdue", limit, limit, calendar.Red},
		{"150 %", pct(1500), limit, calendar.Red},
		// 80 % of 7ns is 5.6ns: 5ns is under it, 6ns is not.
		{"limit not divisible by 5, under", 5, 7, calendar.Green},
		{"limit not divisible by 5, over", 6, 7, calendar.Yellow},
		// 5 × elapsed overflows int64 here; 80 % of 5·2^60 is 2^62.
		{"huge limit at 80 %", 1 << 62, 5 << 60, calendar.Yellow},
		{"huge limit under 80 %", 1<<62 - 1, 5 << 60, calendar.Green},
		{"negative elapsed", -time.Hour, limit, calendar.Green},
		{"zero limit is red", 0, 0, calendar.Red},
		{"negative limit is red", 0, -time.Hour, calendar.Red},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := calendar.TrafficLight(tt.elapsed, tt.limit); got != tt.want {
				t.Errorf("TrafficLight(%s, %s) = %s, want %s", tt.elapsed, tt.limit, got, tt.want)
			}
		})
	}
}

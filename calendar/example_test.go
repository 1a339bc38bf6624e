package calendar_test

import (
	"fmt"
	"time"

	"github.com/wangge/wangge/calendar"
)

// A case dispatched on Thursday afternoon before National Day 2025 with a
// limit of three working days: Sunday 09-28 is a swapped working day.
func ExampleCalendar_AddDays() {
	c := calendar.China()
	dispatched := time.Date(2025, 9, 25, 16, 0, 0, 0, c.Location())
	due := c.AddDays(dispatched, 3)
	fmt.Println(due.Format("2006-01-02 15:04 Mon"))

	now := time.Date(2025, 9, 29, 11, 0, 0, 0, c.Location())
	used := c.Elapsed(dispatched, now)
	fmt.Println(used, calendar.TrafficLight(used, 3*c.DayLength()))
	// Output:
	// 2025-09-29 16:00 Mon
	// 18h0m0s yellow
}

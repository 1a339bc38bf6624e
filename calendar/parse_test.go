package calendar_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wangge/wangge/calendar"
)

func TestParseOverrides(t *testing.T) {
	in := "\uFEFF# a county's own days\r\n" +
		"date,kind,name\r\n" +
		"\r\n" +
		"2025-10-01,holiday,国庆节、中秋节 National Day, Mid-Autumn\r\n" +
		"2025-09-28, Workday ,\"调休 \"\"swapped\"\" day\"\r\n" +
		"# a comment between rows\n" +
		"2025-03-04,holiday,\n" +
		"2025-03-05,holiday,no newline at the end"
	got, err := calendar.ParseOverrides(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []calendar.Override{
		{Date: calendar.Date{Year: 2025, Month: time.October, Day: 1}, Kind: calendar.Holiday, Name: "国庆节、中秋节 National Day, Mid-Autumn"},
		{Date: calendar.Date{Year: 2025, Month: time.September, Day: 28}, Kind: calendar.Workday, Name: `调休 "swapped" day`},
		{Date: calendar.Date{Year: 2025, Month: time.March, Day: 4}, Kind: calendar.Holiday},
		{Date: calendar.Date{Year: 2025, Month: time.March, Day: 5}, Kind: calendar.Holiday, Name: "no newline at the end"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseOverrides mismatch (-want +got):\n%s", diff)
	}
}

func TestParseOverridesErrors(t *testing.T) {
	const header = "# source\ndate,kind,name\n"
	tests := []struct {
		name, in string
		line     int
		msg      string
	}{
		{"bad date", header + "2025-01-01,holiday,x\n2025-13-01,holiday,x\n", 4, `bad date "2025-13-01"`},
		{"no such day", header + "2025-02-29,holiday,x\n", 3, `bad date "2025-02-29"`},
		{"date in another format", header + "2025/01/01,holiday,x\n", 3, `bad date "2025/01/01"`},
		{"bad kind", header + "2025-01-01,holiday,x\n\n\n2025-01-02,holidy,x\n", 6, `unknown kind "holidy"`},
		{"duplicate date", header + "2025-01-01,holiday,a\n2025-01-02,holiday,b\n2025-01-01,workday,c\n", 5, "duplicate date 2025-01-01 (first on line 3)"},
		{"missing columns", header + "2025-01-01,holiday\n", 3, "want 3 columns date,kind,name, got 2"},
		{"one column", header + "2025-01-01\n", 3, "got 1"},
		{"no header", "2025-01-01,holiday,x\n", 1, "header is"},
		{"wrong header", "# c\ndate,type,name\n", 2, "header is"},
		{"empty input", "", 1, "no header"},
		{"only comments", "# a\n# b\n", 3, "no header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := calendar.ParseOverrides(strings.NewReader(tt.in))
			var pe *calendar.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v, want a *ParseError", err)
			}
			if pe.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", pe.Line, tt.line, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %q, want it to contain %q", err, tt.msg)
			}
			if prefix := fmt.Sprintf("line %d: ", tt.line); !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("err = %q, want it to start with %q", err, prefix)
			}
		})
	}
}

func TestEmbeddedChinaFile(t *testing.T) {
	b, err := os.ReadFile("cn-2025-2026.csv")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), "#") || !strings.Contains(strings.SplitN(string(b), "\n", 2)[0], "State Council") {
		t.Error("cn-2025-2026.csv does not start with a comment naming its source")
	}
	ov, err := calendar.ParseOverrides(strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ov, calendar.China().Overrides()); diff != "" {
		t.Errorf("China() overrides differ from the file (-file +China):\n%s", diff)
	}
	for _, o := range ov {
		if o.Date.Year != 2025 && o.Date.Year != 2026 {
			t.Errorf("%s outside 2025-2026", o.Date)
		}
		if o.Name == "" {
			t.Errorf("%s has no name", o.Date)
		}
	}
}

func TestNewValidates(t *testing.T) {
	utc := time.UTC
	good := []calendar.Hours{{Start: hm(9, 0), End: hm(17, 0)}}
	d := calendar.Date{Year: 2025, Month: time.March, Day: 4}
	tests := []struct {
		name  string
		loc   *time.Location
		week  [7]bool
		hours []calendar.Hours
		ov    []calendar.Override
		msg   string
	}{
		{"nil location", nil, monFri, good, nil, "nil location"},
		{"no working weekday", utc, [7]bool{}, good, nil, "no weekday"},
		{"no hours", utc, monFri, nil, nil, "no working hours"},
		{"negative start", utc, monFri, []calendar.Hours{{Start: -time.Minute, End: hm(9, 0)}}, nil, "outside 00:00-24:00"},
		{"past midnight", utc, monFri, []calendar.Hours{{Start: hm(20, 0), End: hm(24, 1)}}, nil, "hours[0] 20:00-24:01 is outside"},
		{"empty interval", utc, monFri, []calendar.Hours{{Start: hm(9, 0), End: hm(9, 0)}}, nil, "empty or reversed"},
		{"reversed interval", utc, monFri, []calendar.Hours{{Start: hm(17, 0), End: hm(9, 0)}}, nil, "empty or reversed"},
		{"overlapping", utc, monFri, []calendar.Hours{{Start: hm(8, 0), End: hm(12, 0)}, {Start: hm(11, 0), End: hm(13, 0)}}, nil, "hours[1] 11:00-13:00 overlaps"},
		{"unsorted", utc, monFri, []calendar.Hours{{Start: hm(14, 0), End: hm(17, 0)}, {Start: hm(8, 0), End: hm(12, 0)}}, nil, "overlaps or precedes"},
		{"invalid date", utc, monFri, good, []calendar.Override{{Date: calendar.Date{Year: 2025, Month: 2, Day: 30}, Kind: calendar.Holiday}}, "overrides[0]: invalid date 2025-02-30"},
		{"zero date", utc, monFri, good, []calendar.Override{{Kind: calendar.Holiday}}, "invalid date"},
		{"unknown kind", utc, monFri, good, []calendar.Override{{Date: d, Kind: "holidy"}}, `unknown kind "holidy"`},
		{"duplicate date", utc, monFri, good, []calendar.Override{{Date: d, Kind: calendar.Holiday}, {Date: d, Kind: calendar.Workday}}, "overrides[1]: duplicate date 2025-03-04"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := calendar.New(tt.loc, tt.week, tt.hours, tt.ov)
			if err == nil || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("err = %v, want it to contain %q", err, tt.msg)
			}
		})
	}
	t.Run("touching intervals are fine", func(t *testing.T) {
		c := mustNew(t, utc, monFri, []calendar.Hours{{Start: hm(8, 0), End: hm(12, 0)}, {Start: hm(12, 0), End: 24 * time.Hour}}, nil)
		if c.DayLength() != 16*time.Hour {
			t.Errorf("DayLength = %s, want 16h", c.DayLength())
		}
	})
	t.Run("New copies its inputs", func(t *testing.T) {
		hours := []calendar.Hours{{Start: hm(9, 0), End: hm(17, 0)}}
		ov := []calendar.Override{{Date: d, Kind: calendar.Holiday}}
		c := mustNew(t, utc, monFri, hours, ov)
		hours[0].End = hm(10, 0)
		ov[0].Kind = calendar.Workday
		x := time.Date(2025, 3, 4, 12, 0, 0, 0, utc)
		if c.IsWorkday(x) || c.DayLength() != 8*time.Hour {
			t.Error("changing the caller's slices changed the calendar")
		}
	})
}

func FuzzParseOverrides(f *testing.F) {
	if b, err := os.ReadFile("cn-2025-2026.csv"); err == nil {
		f.Add(string(b))
	}
	for _, s := range []string{
		"",
		"date,kind,name\n",
		"date,kind,name\n2025-01-01,holiday,x\n2025-01-01,workday,y\n",
		"date,kind,name\n2025-13-01,holiday,x\n",
		"date,kind,name\n0000-01-01,holiday,x\n",
		"date,kind,name\n2025-01-01,holiday,\"\n",
		"\uFEFFdate,kind,name\r\n2025-01-01,WORKDAY,\"a,\"\"b\"\"\"\r\n",
		"#\n#\ndate , kind , name\n\n2025-01-01\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		ov, err := calendar.ParseOverrides(strings.NewReader(in))
		if err != nil {
			var pe *calendar.ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error %v is not a *ParseError with a line", err)
			}
			return
		}
		// Whatever parses builds a calendar: the parser and New agree on
		// what a valid override is.
		if _, err := calendar.New(time.UTC, monFri, wholeDay, ov); err != nil {
			t.Fatalf("ParseOverrides accepted %q but New rejects it: %v", in, err)
		}
	})
}

package calendar

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Date is a civil date with no time zone: the day an override applies to,
// wherever the calendar is.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate parses a date written as 2006-01-02.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, err
	}
	return DateOf(t), nil
}

// String formats d as 2006-01-02.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

func (d Date) valid() bool {
	return d.Year >= 1 && d.Year <= 9999 && DateOf(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)) == d
}

func (d Date) before(e Date) bool {
	if d.Year != e.Year {
		return d.Year < e.Year
	}
	if d.Month != e.Month {
		return d.Month < e.Month
	}
	return d.Day < e.Day
}

// dayNumber counts days from 1970-01-01, the epoch of the wall-clock
// arithmetic.
func (d Date) dayNumber() int64 {
	return floorDiv(time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Unix(), 86400)
}

// ParseError is an error in an overrides file, with the line it is on.
type ParseError struct {
	Line int // 1-based
	Msg  string
}

// Error formats the error as "line 7: unknown kind \"holidy\"".
func (e *ParseError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Msg) }

// overridesHeader is the header line an overrides file must start with.
const overridesHeader = "date,kind,name"

// ParseOverrides reads overrides from a file of the form of
// cn-2025-2026.csv: a header "date,kind,name", then one line per date such
// as "2025-01-26,workday,春节 Spring Festival". Lines starting with '#' and
// blank lines are skipped, so a file can name its source. The name is the
// rest of the line and may contain commas, as the published names do
// ("国庆节、中秋节 National Day, Mid-Autumn"); surrounding double quotes are
// removed. A date listed twice is an error, since a file that contradicts
// itself cannot be trusted to mean either. Errors in the content are
// *ParseError values that name the line; a failing reader's error is wrapped
// with the line it stopped on.
func ParseOverrides(r io.Reader) ([]Override, error) {
	br := bufio.NewReader(r)
	var (
		out       []Override
		seen      = make(map[Date]int)
		line      int
		sawHeader bool
	)
	for {
		text, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("line %d: %w", line+1, err)
		}
		if text == "" && err != nil {
			break
		}
		line++
		if line == 1 {
			// Spreadsheets save CSV with a byte order mark.
			text = strings.TrimPrefix(text, "\uFEFF")
		}
		text = strings.TrimRight(text, "\r\n")
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if !sawHeader {
			if h := strings.ReplaceAll(strings.ToLower(text), " ", ""); h != overridesHeader {
				return nil, &ParseError{line, fmt.Sprintf("header is %q, want %q", text, overridesHeader)}
			}
			sawHeader = true
			continue
		}
		o, perr := parseOverride(text)
		if perr != "" {
			return nil, &ParseError{line, perr}
		}
		if first, dup := seen[o.Date]; dup {
			return nil, &ParseError{line, fmt.Sprintf("duplicate date %s (first on line %d)", o.Date, first)}
		}
		seen[o.Date] = line
		out = append(out, o)
	}
	if !sawHeader {
		return nil, &ParseError{line + 1, fmt.Sprintf("no header %q", overridesHeader)}
	}
	return out, nil
}

// parseOverride parses one data line, returning a message on error.
func parseOverride(text string) (Override, string) {
	fields := strings.SplitN(text, ",", 3)
	if len(fields) < 3 {
		return Override{}, fmt.Sprintf("want 3 columns date,kind,name, got %d in %q", len(fields), text)
	}
	ds := strings.TrimSpace(fields[0])
	d, err := ParseDate(ds)
	if err != nil {
		return Override{}, fmt.Sprintf("bad date %q", ds)
	}
	if !d.valid() {
		return Override{}, fmt.Sprintf("bad date %q: outside years 1-9999", ds)
	}
	kind := DayKind(strings.ToLower(strings.TrimSpace(fields[1])))
	if kind != Holiday && kind != Workday {
		return Override{}, fmt.Sprintf("unknown kind %q, want %q or %q", strings.TrimSpace(fields[1]), Holiday, Workday)
	}
	name := strings.TrimSpace(fields[2])
	if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
		name = strings.ReplaceAll(name[1:len(name)-1], `""`, `"`)
	}
	return Override{Date: d, Kind: kind, Name: name}, ""
}

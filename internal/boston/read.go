// Package boston imports the City of Boston's 311 service requests of the
// second half of 2011 (see /work/shared/data/SOURCES.md) and measures how
// closely Wangge's deadline, on-time and routing rules reproduce the city's
// own: the working-time model of the city's SLA clock, one category per
// request type, a department per type, and the city > ward > precinct
// territory.
package boston

import (
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	// The city's times are America/New_York wall-clock readings; embed the
	// zone so that the importer works on machines without system tzdata.
	_ "time/tzdata"
)

// File names inside the data directory.
const (
	RequestsFile  = "boston_311_service_requests_2011H2.csv.gz"
	WardsFile     = "boston_wards_22.geojson"
	PrecinctsFile = "boston_precincts_255.geojson"
)

// Default point is where the city files requests without a real location:
// City Hall. The replay should post such rows at that point as given (it lies
// inside a precinct of Ward 3), not drop them.
const (
	DefaultLat = 42.3594
	DefaultLon = -71.0587
)

// Request is one row of the city's file, with the fields Wangge uses.
type Request struct {
	ID     string
	Open   time.Time
	Target *time.Time // the city's deadline (target_dt); nil when the city set none
	Closed *time.Time // nil while the case is still open
	// OnTime is the city's verdict: "ONTIME", "OVERDUE", or "" (158 rows).
	OnTime       string
	Status       string // Open or Closed
	Title        string
	Subject      string // the city department's long name, such as "Public Works Department"
	Reason       string // the group of types, such as "Sanitation"
	Type         string
	Queue        string // the work queue that held the case last; its prefix is the department
	Department   string // PWDx, ISD, PARK, BTDT, INFO, PROP, BWSC, ...
	Lat, Lon     float64
	Source       string // Constituent Call, Employee Generated, Self Service, Citizens Connect App, ...
	Neighborhood string
	Ward         string // as written by the city: "Ward 17" or "17"
	Precinct     string // four digits, ward then precinct: "1714"
}

// Data is everything read from the data directory: the requests sorted by
// open time (ties by id), and the raw ward and precinct GeoJSON documents.
type Data struct {
	Location  *time.Location
	Requests  []Request
	Wards     []byte
	Precincts []byte
}

const layout = "2006-01-02 15:04:05"

// Read reads the requests and the two boundary files from dir.
func Read(dir string) (*Data, error) {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		return nil, fmt.Errorf("boston: %w", err)
	}
	f, err := os.Open(filepath.Join(dir, RequestsFile))
	if err != nil {
		return nil, fmt.Errorf("boston: %w", err)
	}
	defer f.Close()
	reqs, err := readRequests(f, loc)
	if err != nil {
		return nil, fmt.Errorf("boston: %s: %w", RequestsFile, err)
	}
	d := &Data{Location: loc, Requests: reqs}
	if d.Wards, err = os.ReadFile(filepath.Join(dir, WardsFile)); err != nil {
		return nil, fmt.Errorf("boston: %w", err)
	}
	if d.Precincts, err = os.ReadFile(filepath.Join(dir, PrecinctsFile)); err != nil {
		return nil, fmt.Errorf("boston: %w", err)
	}
	return d, nil
}

func readRequests(r io.Reader, loc *time.Location) ([]Request, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer gz.Close()
	cr := csv.NewReader(gz)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	need := []string{"case_enquiry_id", "open_dt", "target_dt", "closed_dt", "ontime", "case_status",
		"case_title", "subject", "reason", "type", "queue", "department", "neighborhood", "ward",
		"precinct", "latitude", "longitude", "source"}
	for _, n := range need {
		if _, ok := col[n]; !ok {
			return nil, fmt.Errorf("missing column %q", n)
		}
	}
	var out []Request
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		get := func(n string) string { return strings.TrimSpace(rec[col[n]]) }
		q := Request{
			ID: get("case_enquiry_id"), OnTime: get("ontime"), Status: get("case_status"),
			Title: get("case_title"), Subject: get("subject"), Reason: get("reason"), Type: get("type"),
			Queue: get("queue"), Department: get("department"), Neighborhood: get("neighborhood"),
			Ward: get("ward"), Precinct: get("precinct"), Source: get("source"),
		}
		if q.Open, err = time.ParseInLocation(layout, get("open_dt"), loc); err != nil {
			return nil, fmt.Errorf("line %d: open_dt: %w", line, err)
		}
		for _, t := range []struct {
			name string
			dst  **time.Time
		}{{"target_dt", &q.Target}, {"closed_dt", &q.Closed}} {
			if s := get(t.name); s != "" {
				v, err := time.ParseInLocation(layout, s, loc)
				if err != nil {
					return nil, fmt.Errorf("line %d: %s: %w", line, t.name, err)
				}
				*t.dst = &v
			}
		}
		if q.Lat, err = strconv.ParseFloat(get("latitude"), 64); err != nil {
			return nil, fmt.Errorf("line %d: latitude: %w", line, err)
		}
		if q.Lon, err = strconv.ParseFloat(get("longitude"), 64); err != nil {
			return nil, fmt.Errorf("line %d: longitude: %w", line, err)
		}
		out = append(out, q)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Open.Equal(out[j].Open) {
			return out[i].Open.Before(out[j].Open)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// AtDefaultPoint reports whether the request sits on the city's default
// point, City Hall, which stands for "no real location".
func (q *Request) AtDefaultPoint() bool { return q.Lat == DefaultLat && q.Lon == DefaultLon }

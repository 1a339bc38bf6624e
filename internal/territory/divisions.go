package territory

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wangge/wangge"
)

// divisionFiles are the National Bureau of Statistics division tables (as
// packaged by china-division), top level first, with the column holding
// each row's parent code.
var divisionFiles = []struct {
	file      string
	level     wangge.Level
	parentCol string
}{
	{"division_provinces.csv.gz", wangge.LevelProvince, ""},
	{"division_cities.csv.gz", wangge.LevelCity, "provinceCode"},
	{"division_areas.csv.gz", wangge.LevelCounty, "cityCode"},
	{"division_streets.csv.gz", wangge.LevelStreet, "areaCode"},
	{"division_villages.csv.gz", wangge.LevelCommunity, "streetCode"},
}

// ReadDivisions reads the division code tables in dir into units, parents
// before children. With under set, only that subtree and its ancestors are
// read. Names keep their official form (居委会/村委会 suffixes included).
func ReadDivisions(dir, under string) ([]wangge.Unit, error) {
	// The national tables hold 665,276 rows. Growing a slice of Units (large
	// structs full of pointers) that far costs seconds of GC write barriers
	// on every copy; small rows grow cheaply and the Units are allocated once.
	type row struct {
		code, name, parent string
		level              wangge.Level
	}
	rows := make([]row, 0, 1<<12)
	for _, df := range divisionFiles {
		path := filepath.Join(dir, df.file)
		err := readCSVGz(path, []string{"code", "name", df.parentCol}, func(line int, rec []string) error {
			code, name := rec[0], strings.TrimSpace(rec[1])
			if !wangge.ValidCode(code) || len(code) != wangge.CodeLength(df.level) {
				return wangge.FieldError(fmt.Sprintf("%s:%d code", df.file, line), "not a "+string(df.level)+" code: "+code)
			}
			if under != "" && !strings.HasPrefix(code, under) && !strings.HasPrefix(under, code) {
				return nil
			}
			rows = append(rows, row{code, name, rec[2], df.level})
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	units := make([]wangge.Unit, len(rows))
	for i, r := range rows {
		units[i] = wangge.Unit{Code: r.code, NameZH: r.name, ParentCode: r.parent, Level: r.level, Type: wangge.UnitComprehensive}
	}
	return units, nil
}

// readCSVGz calls fn with the named columns of every row (an empty name
// yields an empty value).
func readCSVGz(path string, cols []string, fn func(line int, rec []string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r := csv.NewReader(zr)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	idx := make([]int, len(cols))
	for i, c := range cols {
		idx[i] = -1
		for j, h := range header {
			if h == c && c != "" {
				idx[i] = j
			}
		}
		if idx[i] < 0 && c != "" {
			return wangge.FieldError(filepath.Base(path), "no column "+c)
		}
	}
	rec := make([]string, len(cols))
	for line := 2; ; line++ {
		row, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return wangge.FieldError(filepath.Base(path), err.Error())
		}
		for i, j := range idx {
			rec[i] = ""
			if j >= 0 && j < len(row) {
				rec[i] = row[j]
			}
		}
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

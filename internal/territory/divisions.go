package territory

import (
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
	var units []wangge.Unit
	for _, df := range divisionFiles {
		path := filepath.Join(dir, df.file)
		err := readCSVGz(path, func(line int, rec map[string]string) error {
			code, name := rec["code"], strings.TrimSpace(rec["name"])
			if !wangge.ValidCode(code) || len(code) != wangge.CodeLength(df.level) {
				return wangge.FieldError(fmt.Sprintf("%s:%d code", df.file, line), "not a "+string(df.level)+" code: "+code)
			}
			if under != "" && !strings.HasPrefix(code, under) && !strings.HasPrefix(under, code) {
				return nil
			}
			u := wangge.Unit{Code: code, NameZH: name, Level: df.level, Type: wangge.UnitComprehensive}
			if df.parentCol != "" {
				u.ParentCode = rec[df.parentCol]
			}
			units = append(units, u)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return units, nil
}

func readCSVGz(path string, fn func(line int, rec map[string]string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	r := csv.NewReader(zr)
	r.ReuseRecord = true
	header, err := r.Read()
	if err != nil {
		return fmt.Errorf("%s: header: %w", path, err)
	}
	header = append([]string(nil), header...)
	rec := make(map[string]string, len(header))
	for line := 2; ; line++ {
		row, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return wangge.FieldError(filepath.Base(path), err.Error())
		}
		for i, h := range header {
			if i < len(row) {
				rec[h] = row[i]
			}
		}
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/boston"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/territory"
)

func (env *Env) importCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"import what? divisions or geojson"}
	}
	var c Config
	fs := flag.NewFlagSet("import "+args[0], flag.ContinueOnError)
	c.flags(fs, "wangge-data")
	switch args[0] {
	case "divisions":
		dir := fs.String("dir", "", "folder with division_*.csv.gz (e.g. ../shared/data/china)")
		under := fs.String("under", "", "import only this code's subtree and its ancestors, e.g. 360730")
		if err := parse(fs, args[1:], env.Stderr); err != nil {
			return err
		}
		if *dir == "" {
			return usageError{"import divisions: --dir is required"}
		}
		return env.importDivisions(ctx, &c, *dir, *under)
	case "geojson":
		level := fs.String("level", "", "level of features whose properties do not say")
		parent := fs.String("parent", "", "parent code of features whose properties do not say")
		crsName := fs.String("crs", "wgs84", "coordinate system of the file: wgs84, gcj02 (Amap, Tencent, DataV) or bd09 (Baidu)")
		update := fs.Bool("update", false, "give existing units these boundaries (a new version each) instead of creating units")
		// Flags may come before or after the file name.
		var file string
		rest := args[1:]
		if len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
			file, rest = rest[0], rest[1:]
		}
		if err := parse(fs, rest, env.Stderr); err != nil {
			return err
		}
		if file == "" && fs.NArg() > 0 {
			file = fs.Arg(0)
		}
		if file == "" {
			return usageError{"import geojson: a file is required"}
		}
		crs, err := geo.ParseCRS(*crsName)
		if err != nil {
			return err
		}
		lv := wangge.Level(*level)
		if lv != "" && !lv.Valid() {
			return wangge.FieldError("level", "unknown level "+*level)
		}
		return env.importGeoJSON(ctx, &c, file, territory.Defaults{Level: lv, ParentCode: *parent, CRS: crs}, *update)
	case "boston311":
		dir := fs.String("dir", "", "folder with the Boston 311 files (e.g. ../shared/data/boston311)")
		if err := parse(fs, args[1:], env.Stderr); err != nil {
			return err
		}
		if *dir == "" {
			return usageError{"import boston311: --dir is required"}
		}
		return env.importBoston(ctx, &c, *dir)
	}
	return usageError{fmt.Sprintf("import: unknown source %q (divisions, geojson or boston311)", args[0])}
}

func (env *Env) importDivisions(ctx context.Context, c *Config, dir, under string) error {
	start := time.Now()
	units, err := territory.ReadDivisions(dir, under)
	if err != nil {
		return err
	}
	read := time.Since(start)
	db, err := openCurrent(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	// Official codes already present are kept, so the import can be re-run
	// (and run over a demo county) without conflict.
	fresh, err := db.NewCodes(ctx, units)
	if err != nil {
		return err
	}
	if err := db.CreateUnits(System(ctx), fresh); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "imported %d units (%d already present) in %s (read %s)\n",
		len(fresh), len(units)-len(fresh), time.Since(start).Round(time.Millisecond), read.Round(time.Millisecond))
	return nil
}

func (env *Env) importGeoJSON(ctx context.Context, c *Config, file string, d territory.Defaults, update bool) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	units, err := territory.UnitsFromGeoJSON(data, d)
	if err != nil {
		return err
	}
	db, err := openCurrent(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	if update {
		n, err := db.SetBoundaries(System(ctx), units)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "gave %d existing units new boundaries from %s\n", n, file)
		return nil
	}
	if err := db.CreateUnits(System(ctx), units); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "imported %d units from %s\n", len(units), file)
	return nil
}

// importBoston stores what the Boston 311 data implies: the city, its 22
// wards and 255 precincts, the city departments, one category per request
// type with the handling limit the city's own deadlines show, the city's
// working calendar, and routing of each type to its most frequent
// department. It prints an Open311 key that may replay the city's history
// (see replay.go).
func (env *Env) importBoston(ctx context.Context, c *Config, dir string) error {
	start := time.Now()
	d, err := boston.Read(dir)
	if err != nil {
		return err
	}
	m, err := boston.Infer(d)
	if err != nil {
		return err
	}
	units, err := boston.Units(d)
	if err != nil {
		return err
	}
	cat, codes := boston.BuildCatalogue(d, m)
	db, err := openCurrent(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	sys := System(ctx)
	fresh, err := db.NewCodes(ctx, units)
	if err != nil {
		return err
	}
	if err := db.CreateUnits(sys, fresh); err != nil {
		return err
	}
	depts := map[string]int64{}
	for _, code := range catalogue.Departments(cat) {
		id, err := db.DepartmentByCode(ctx, code)
		if wangge.ErrorCode(err) == wangge.ENOTFOUND {
			n := boston.DepartmentNames[code]
			dep := &wangge.Department{Code: code, NameZH: n[0], NameEN: n[1], UnitCode: units[0].Code}
			if dep.NameZH == "" {
				dep.NameZH, dep.NameEN = code, code
			}
			if err := db.CreateDepartment(sys, dep); err != nil {
				return err
			}
			id, err = dep.ID, nil
		}
		if err != nil {
			return err
		}
		depts[code] = id
	}
	if err := db.SaveCatalogue(sys, cat); err != nil {
		return fmt.Errorf("catalogue: %w", err)
	}
	// The city's clock, measured on its own deadlines: whole Monday-Friday
	// days, no holiday skipped, weekend requests keep their clock reading,
	// requests from 17:00 count from 08:30 of the next working day.
	if _, err := db.PutCalendar(sys, units[0].Code, m.CalendarSpec()); err != nil {
		return fmt.Errorf("calendar: %w", err)
	}
	routed := 0
	for typ, code := range codes {
		if id, ok := depts[boston.DepartmentCode(m.Routing.ByType[typ])]; ok {
			if err := db.SetRoutingRules(sys, code, []sqlstore.RoutingRule{{DepartmentID: id}}); err != nil {
				return err
			}
			routed++
		}
	}
	key, err := db.CreateSyncKey(sys, "boston311")
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "imported Boston 311: %d units (%d new), %d departments, %d request types (%d routed), from %d requests, in %s\napi_key: %s\n",
		len(units), len(fresh), len(depts), len(codes), routed, len(d.Requests), time.Since(start).Round(time.Millisecond), key)
	return nil
}

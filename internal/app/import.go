package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/wangge/wangge"
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
	}
	return usageError{fmt.Sprintf("import: unknown source %q (divisions or geojson)", args[0])}
}

func (env *Env) importDivisions(ctx context.Context, c *Config, dir, under string) error {
	start := time.Now()
	units, err := territory.ReadDivisions(dir, under)
	if err != nil {
		return err
	}
	read := time.Since(start)
	db, err := sqlstore.Open(ctx, c.dsn()) // units carry no personal data: no key needed
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
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
	db, err := sqlstore.Open(ctx, c.dsn())
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
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

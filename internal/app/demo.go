package app

import (
	"context"
	"embed"
	"encoding/csv"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
	"github.com/wangge/wangge/internal/demo"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/password"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/territory"
)

//go:embed demodata
var demoData embed.FS

// The demo county: the urban area of 宁都县 (Ningdu county, Jiangxi). The
// county seat's GCJ-02 position is the "center" property of the DataV
// boundary; the urban area covers about 27.5 km².
const (
	demoSeed      = 4
	demoCounty    = "360730"
	demoTown      = "360730100"
	demoAreaKM2   = 27.5
	demoStaffPass = "demo12345"
	demoCenterLon = 116.018782
	demoCenterLat = 26.472054
)

// demoReference dates the synthetic residents, so that the same seed gives
// the same county whatever day the demo is created.
var demoReference = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func (env *Env) demoCmd(ctx context.Context, args []string) error {
	var c Config
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	c.flags(fs, "wangge-demo")
	adminPass := fs.String("admin-password", getenv("WANGGE_ADMIN_PASSWORD", demoStaffPass), "password of the demo administrator")
	seedOnly := fs.Bool("seed-only", false, "create the demo county and exit without serving")
	if err := parse(fs, args, env.Stderr); err != nil {
		return err
	}
	log := env.logger(c.LogLevel)
	start := time.Now()
	db, err := env.openDB(ctx, &c, true, log)
	if err != nil {
		return err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return err
	}
	created, err := SeedDemo(ctx, db, *adminPass, log)
	if err != nil {
		db.Close()
		return fmt.Errorf("demo county: %w", err)
	}
	if *seedOnly {
		fmt.Fprintf(env.Stdout, "demo county ready in %s (created: %v)\n", time.Since(start).Round(time.Millisecond), created)
		return db.Close()
	}
	key, err := db.CreateAPIKey(System(ctx), "demo")
	if err != nil {
		db.Close()
		return err
	}
	srv, err := StartWith(ctx, db, c.Addr, c.Data, log)
	if err != nil {
		db.Close()
		return err
	}
	verb := "opened"
	if created {
		verb = "created"
	}
	fmt.Fprintf(env.Stdout, `
  网格 Wangge demo — 宁都县梅江镇 (Ningdu county seat), %s in %s
  data:  %s
  URL:   %s
  API:   %s/api/v1/openapi.json

  accounts (password %q unless --admin-password was given for admin):
    admin                 administrator, whole county
    operator              command-centre operator (指挥中心)
    cadre360730100001     cadre of 中山南路社区
    gl360730100001001     grid leader (网格长) of 中山南路社区第1网格
    gw360730100001001     full-time grid worker (专职网格员) of the same grid
    mg360730100001001001  micro-grid member (微网格员)
    police01              grid police (网格警), 1+N grids
    dept-gaj              公安局 department staff

  Open311 GeoReport v2: %s/open311/v2/discovery.json
  api_key: %s

  try:
    curl -s -X POST %s/api/v1/auth/login -d '{"username":"gw360730100001001","password":"%s"}'
    curl -s '%s/api/v1/locate?lat=26.4720&lon=116.0188&crs=gcj02'
    curl -s -X POST %s/open311/v2/requests.json -d api_key=%s -d service_code=0101 \
         -d lat=26.4720 -d long=116.0188 -d description=路边垃圾

  Ctrl-C stops the server.
`, verb, time.Since(start).Round(time.Millisecond), c.Data, srv.URL, srv.URL, demoStaffPass, srv.URL, key, srv.URL, demoStaffPass, srv.URL, srv.URL, key)
	<-ctx.Done()
	return srv.Close()
}

// demoUnits is the demo's territory: province, city, county (its real
// boundary), town (the urban area's outline), then the generated
// communities, grids and micro-grids. Counts above the communities are
// their sums.
func demoUnits(gen *demo.County) ([]wangge.Unit, error) {
	raw, err := demoData.ReadFile("demodata/ningdu_360730_county_datav.geojson")
	if err != nil {
		return nil, err
	}
	county, err := territory.UnitsFromGeoJSON(raw, territory.Defaults{Level: wangge.LevelCounty, ParentCode: "3607", CRS: geo.GCJ02})
	if err != nil {
		return nil, fmt.Errorf("county boundary: %w", err)
	}
	cu := county[0]
	cu.Code, cu.NameZH, cu.NameEN, cu.ParentCode = demoCounty, "宁都县", "Ningdu County", "3607"
	town := wangge.Unit{Code: demoTown, ParentCode: demoCounty, Level: wangge.LevelStreet, NameZH: "梅江镇", NameEN: "Meijiang Town"}
	town.Boundary, town.BBox = territory.Boundary(gen.Outline, geo.WGS84)
	for _, c := range gen.Communities {
		town.Households += c.Households
		town.Population += c.Population
	}
	cu.Households, cu.Population = town.Households, town.Population
	units := []wangge.Unit{
		{Code: "36", Level: wangge.LevelProvince, NameZH: "江西省", NameEN: "Jiangxi Province"},
		{Code: "3607", ParentCode: "36", Level: wangge.LevelCity, NameZH: "赣州市", NameEN: "Ganzhou City"},
		cu, town,
	}
	for _, group := range [][]demo.Unit{gen.Communities, gen.Grids, gen.MicroGrids} {
		for _, u := range group {
			wu := u.Unit
			wu.Boundary, wu.BBox = territory.Boundary(u.Shape, geo.WGS84)
			units = append(units, wu)
		}
	}
	return units, nil
}

// SeedDemo creates the demo county unless it exists; it reports whether it
// created it. Creating it twice gives the same county (seed 004).
func SeedDemo(ctx context.Context, db *sqlstore.DB, adminPassword string, log *slog.Logger) (bool, error) {
	sys := System(ctx)
	t0 := time.Now()
	phase := func(name string, args ...any) {
		log.Info("demo: "+name, append(args, "took", time.Since(t0).Round(time.Millisecond))...)
		t0 = time.Now()
	}
	if _, err := db.Unit(sys, demoTown); err == nil {
		return false, nil
	} else if wangge.ErrorCode(err) != wangge.ENOTFOUND {
		return false, err
	}
	communities, err := demoCommunities()
	if err != nil {
		return false, err
	}
	center := geo.Convert(geo.Point{X: demoCenterLon, Y: demoCenterLat}, geo.GCJ02, geo.WGS84)
	gen, err := demo.Generate(demoSeed, center, demoAreaKM2, communities, demoReference)
	if err != nil {
		return false, err
	}
	phase("generated", "grids", len(gen.Grids), "micro_grids", len(gen.MicroGrids), "persons", len(gen.Persons))
	units, err := demoUnits(gen)
	if err != nil {
		return false, err
	}
	if err := db.CreateUnits(sys, units); err != nil {
		return false, err
	}
	phase("territory stored", "units", len(units))

	deptIDs := map[string]int64{}
	for i := range gen.Departments {
		d := gen.Departments[i]
		if err := db.CreateDepartment(sys, &d); err != nil {
			return false, err
		}
		deptIDs[d.Code] = d.ID
	}
	// The default catalogue, each leaf routed to its default department.
	cat := catalogue.Default()
	if err := db.SaveCatalogue(sys, cat); err != nil {
		return false, fmt.Errorf("catalogue: %w", err)
	}
	for _, c := range catalogue.Leaves(cat) {
		if id, ok := deptIDs[c.Department]; ok {
			if err := db.SetRoutingRules(sys, c.Code, []sqlstore.RoutingRule{{DepartmentID: id}}); err != nil {
				return false, err
			}
		}
	}
	users := []wangge.User{{Username: "admin", Name: "演示管理员", Role: wangge.RoleAdmin, Units: []string{demoCounty}}}
	for _, s := range gen.Staff {
		u := wangge.User{Username: s.Username, Name: s.Name, Role: s.Role, Units: s.Units}
		if s.Department != "" {
			id := deptIDs[s.Department]
			u.DepartmentID = &id
		}
		users = append(users, u)
	}
	// Thousands of demo accounts share one hash: hashing each would take
	// longer than the whole rest of the demo.
	if err := db.LoadUsers(sys, users[1:], password.Hash(demoStaffPass)); err != nil {
		return false, err
	}
	if err := db.LoadUsers(sys, users[:1], password.Hash(adminPassword)); err != nil {
		return false, err
	}
	phase("staff stored", "users", len(users), "departments", len(gen.Departments))
	if err := db.LoadRegistry(sys, gen.Buildings, gen.Households, gen.Persons); err != nil {
		return false, err
	}
	phase("registry stored", "buildings", len(gen.Buildings), "households", len(gen.Households), "persons", len(gen.Persons))
	return true, nil
}

func demoCommunities() ([]demo.Community, error) {
	f, err := demoData.Open("demodata/meijiang_360730100_communities.csv")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	rows, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	var out []demo.Community
	for _, row := range rows[1:] {
		out = append(out, demo.Community{Code: row[0], Name: strings.TrimSpace(row[1])})
	}
	return out, nil
}

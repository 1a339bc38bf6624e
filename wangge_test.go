package wangge_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wangge/wangge"
)

var now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)

// withCheck completes 17 digits with their check character.
func withCheck(t *testing.T, first17 string) string {
	t.Helper()
	c, ok := wangge.IDCheckDigit(first17)
	if !ok {
		t.Fatalf("IDCheckDigit(%q) not ok", first17)
	}
	return first17 + string(c)
}

func TestParseIDNumber(t *testing.T) {
	// 11010519491231002X is the example number printed in GB 11643-1999.
	tests := []struct {
		name, in string
		wantErr  string
		sex      wangge.Sex
		birth    string
	}{
		{"standard example", "11010519491231002X", "", wangge.SexFemale, "1949-12-31"},
		{"lower-case x", "11010519491231002x", "", wangge.SexFemale, "1949-12-31"},
		{"male", withCheck(t, "36073019900101001"), "", wangge.SexMale, "1990-01-01"},
		{"leap day", withCheck(t, "36073020000229002"), "", wangge.SexFemale, "2000-02-29"},
		{"bad check digit", "110105194912310021", "check digit mismatch", "", ""},
		{"too short", "1101051949123100", "must be 18 characters", "", ""},
		{"letters", "11010519491231A02X", "first 17 characters must be digits", "", ""},
		{"no such date", withCheck(t, "36073019900230001"), "invalid birth date", "", ""},
		{"not a leap year", withCheck(t, "36073019000229001"), "invalid birth date", "", ""},
		{"born in the future", withCheck(t, "36073020300101001"), "invalid birth date", "", ""},
		{"century 3", withCheck(t, "36073030000101001"), "invalid birth date", "", ""},
		{"region zero", withCheck(t, "00000019900101001"), "invalid region code", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wangge.ParseIDNumber(tt.in, now)
			if tt.wantErr != "" {
				if err == nil || wangge.ErrorFields(err)["id_number"] != tt.wantErr {
					t.Fatalf("err = %v, want field problem %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Sex != tt.sex || got.BirthDate.Format("2006-01-02") != tt.birth {
				t.Errorf("got %s %s, want %s %s", got.Sex, got.BirthDate.Format("2006-01-02"), tt.sex, tt.birth)
			}
		})
	}
}

func FuzzParseIDNumber(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "", "x", "360730199001010010", "99999999999999999X"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := wangge.ParseIDNumber(s, now)
		if err != nil {
			if wangge.ErrorCode(err) != wangge.EINVALID {
				t.Fatalf("error code %s", wangge.ErrorCode(err))
			}
			return
		}
		c, _ := wangge.IDCheckDigit(id.Number[:17])
		if c != id.Number[17] || id.BirthDate.After(now) {
			t.Fatalf("accepted inconsistent number %q", s)
		}
	})
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"11010519491231002X": "110***********002X",
		"13812345678":        "138****5678",
		"1234567":            "*******",
		"":                   "",
	} {
		if got := wangge.MaskIDNumber(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnitValidate(t *testing.T) {
	community := &wangge.Unit{Code: "360730100001", Level: wangge.LevelCommunity, NameZH: "中山南路社区"}
	tests := []struct {
		name   string
		unit   wangge.Unit
		parent *wangge.Unit
		fields []string
	}{
		{"grid under community", wangge.Unit{Code: "360730100001001", Level: wangge.LevelGrid, NameZH: "第1网格"}, community, nil},
		{"root county", wangge.Unit{Code: "360730", Level: wangge.LevelCounty, NameZH: "宁都县"}, nil, nil},
		{"code not extending parent", wangge.Unit{Code: "360730100002001", Level: wangge.LevelGrid, NameZH: "x"}, community, []string{"code"}},
		{"same code as parent", wangge.Unit{Code: "360730100001", Level: wangge.LevelGrid, NameZH: "x"}, community, []string{"code"}},
		{"level above parent", wangge.Unit{Code: "3607301000011", Level: wangge.LevelStreet, NameZH: "x"}, community, []string{"level"}},
		{"unknown parent", wangge.Unit{Code: "1", ParentCode: "9", Level: wangge.LevelGrid, NameZH: "x"}, nil, []string{"parent_code"}},
		{"everything wrong", wangge.Unit{Code: "a b", Level: "town", Type: "odd", Households: -1}, nil, []string{"code", "households", "level", "name_zh", "type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.unit.Validate(tt.parent)
			var got []string
			for f := range wangge.ErrorFields(err) {
				got = append(got, f)
			}
			if diff := cmp.Diff(tt.fields, got, sortStrings); diff != "" {
				t.Errorf("fields at fault (-want +got):\n%s", diff)
			}
		})
	}
}

var sortStrings = cmp.Transformer("sort", func(in []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range in {
		m[s] = true
	}
	return m
})

func TestScope(t *testing.T) {
	police := &wangge.User{Role: wangge.RoleGridPolice, Units: []string{"360730100001001", "360730100001002", "360730100001"}}
	s := wangge.ScopeOf(police)
	if diff := cmp.Diff([]string{"360730100001"}, s.Roots); diff != "" {
		t.Errorf("roots not normalised: %s", diff)
	}
	for code, want := range map[string]bool{"360730100001": true, "360730100001005003": true, "360730100002": false, "360730": false} {
		if got := s.Contains(code); got != want {
			t.Errorf("Contains(%s) = %v", code, got)
		}
	}
	if !wangge.ScopeOf(&wangge.User{Role: wangge.RoleAdmin}).Contains("99") {
		t.Error("admin sees everything")
	}
	if (wangge.Scope{}).Contains("360730") {
		t.Error("empty scope sees nothing")
	}
}

func TestCareTier(t *testing.T) {
	visit := time.Date(2026, 1, 31, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		tags []string
		tier wangge.CareTier
		next string
	}{
		{[]string{wangge.TagElderlyAlone}, wangge.CareHighRisk, "2026-02-07"},
		{[]string{wangge.TagDisabled, wangge.TagSpecial}, wangge.CareHighRisk, "2026-02-07"},
		{[]string{wangge.TagLowIncome}, wangge.CareKey, "2026-03-03"},
		{nil, wangge.CareGeneral, "2026-05-01"},
	}
	for _, tt := range tests {
		tier := wangge.DefaultCareTier(tt.tags)
		if tier != tt.tier {
			t.Errorf("DefaultCareTier(%v) = %s, want %s", tt.tags, tier, tt.tier)
		}
		if got := tier.NextVisitDue(visit).Format("2006-01-02"); got != tt.next {
			t.Errorf("%s after %s: next %s, want %s", tier, visit.Format("2006-01-02"), got, tt.next)
		}
	}
}

func TestPersonValidate(t *testing.T) {
	p := wangge.Person{Name: "张演示", IDNumber: "11010519491231002x", UnitCode: "360730100001001", Phone: "19900001111", Tags: []string{wangge.TagElderlyAlone}}
	if err := p.Validate(now); err != nil {
		t.Fatal(err)
	}
	if p.Sex != wangge.SexFemale || p.BirthDate.Year() != 1949 || p.CareTier != wangge.CareHighRisk || p.IDNumber != "11010519491231002X" {
		t.Errorf("derived fields wrong: %+v", p)
	}
	bad := wangge.Person{IDNumber: "1", Phone: "12", Relation: "cousin", Tags: []string{"rich"}, Residence: "moon"}
	var got []string
	for f := range wangge.ErrorFields(bad.Validate(now)) {
		got = append(got, f)
	}
	if diff := cmp.Diff([]string{"id_number", "name", "phone", "relation", "residence", "tags", "unit_code"}, got, sortStrings); diff != "" {
		t.Error(diff)
	}
}

func TestCatalogueValidate(t *testing.T) {
	lim := wangge.Limits{Accept: wangge.Limit{Value: 1, Unit: "hours"}, Dispatch: wangge.Limit{Value: 2, Unit: "hours"},
		Handle: wangge.Limit{Value: 3, Unit: "days"}, Verify: wangge.Limit{Value: 1, Unit: "days"}}
	good := func() wangge.Catalogue {
		return wangge.Catalogue{
			Items: []wangge.DutyItem{{Code: "D01", NameZH: "市容环境巡查", NameEN: "City appearance patrol", GridDuty: true}},
			Categories: []wangge.Category{
				{Code: "01", Kind: wangge.KindEvent, NameZH: "市容环境", NameEN: "City appearance"},
				{Code: "0101", Kind: wangge.KindEvent, NameZH: "暴露垃圾", NameEN: "Exposed rubbish", Item: "D01", Level: wangge.LevelGrid, Department: "cgj", Limits: lim},
			},
		}
	}
	c := good()
	if err := c.Validate(map[string]bool{"cgj": true}); err != nil {
		t.Fatal(err)
	}
	if got := lim.Handle.Duration(7 * time.Hour); got != 21*time.Hour {
		t.Errorf("3 working days of 7 h = %v", got)
	}
	tests := []struct {
		name  string
		edit  func(c *wangge.Catalogue)
		field string
	}{
		{"leaf without major", func(c *wangge.Catalogue) { c.Categories[1].Code = "0201" }, "categories[1].code"},
		{"three-digit code", func(c *wangge.Catalogue) { c.Categories[1].Code = "011" }, "categories[1].code"},
		{"unknown item", func(c *wangge.Catalogue) { c.Categories[1].Item = "D99" }, "categories[1].item"},
		{"kind differs from major", func(c *wangge.Catalogue) { c.Categories[1].Kind = wangge.KindDispute }, "categories[1].kind"},
		{"missing limit", func(c *wangge.Catalogue) { c.Categories[1].Limits.Verify = wangge.Limit{} }, "categories[1].limits.verify"},
		{"bad unit", func(c *wangge.Catalogue) { c.Categories[1].Limits.Handle.Unit = "weeks" }, "categories[1].limits.handle"},
		{"unknown department", func(c *wangge.Catalogue) { c.Categories[1].Department = "nasa" }, "categories[1].department"},
		{"skip below", func(c *wangge.Catalogue) { c.Categories[1].SkipToLevel = wangge.LevelMicroGrid }, "categories[1].skip_to_level"},
		{"no English name", func(c *wangge.Catalogue) { c.Items[0].NameEN = "" }, "items[0].name_en"},
		{"duplicate category", func(c *wangge.Catalogue) { c.Categories = append(c.Categories, c.Categories[1]) }, "categories[2].code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.edit(&c)
			err := c.Validate(map[string]bool{"cgj": true})
			if wangge.ErrorFields(err)[tt.field] == "" {
				t.Errorf("err = %v, want field %s", err, tt.field)
			}
		})
	}
}

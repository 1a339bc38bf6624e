package catalogue_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/catalogue"
)

// departments are the 12 departments of the demo county (internal/demo).
var departments = map[string]bool{
	"gaj": true, "cgj": true, "mzj": true, "scjgj": true, "sthjj": true, "xfjy": true,
	"swj": true, "gdgs": true, "zjj": true, "sfj": true, "wjw": true, "jtj": true,
}

// day is the working day used to compare limits given in hours and days.
const day = 8 * time.Hour

func TestDefaultValidates(t *testing.T) {
	cat := catalogue.Default()
	if err := cat.Validate(departments); err != nil {
		t.Fatal(err)
	}
	var used []string
	for d := range departments {
		used = append(used, d)
	}
	slices.Sort(used)
	if got := catalogue.Departments(cat); !slices.Equal(got, used) {
		t.Errorf("departments named = %v, want all 12: %v", got, used)
	}
}

// kindRange is the first two digits each kind's codes use in the default.
var kindRange = map[wangge.Kind][2]string{
	wangge.KindEvent:    {"01", "09"},
	wangge.KindFacility: {"10", "19"},
	wangge.KindDispute:  {"20", "29"},
	wangge.KindHazard:   {"30", "39"},
	wangge.KindService:  {"40", "49"},
}

func TestDefaultShape(t *testing.T) {
	cat := catalogue.Default()
	if n := len(cat.Items); n < 45 || n > 60 {
		t.Errorf("%d duty items, want about 50", n)
	}
	majors, leaves := map[wangge.Kind]int{}, map[wangge.Kind]int{}
	codes := map[string]bool{}
	x := catalogue.NewIndex(cat)
	prev := ""
	for _, c := range cat.Categories {
		if codes[c.Code] {
			t.Errorf("category code %s repeats", c.Code)
		}
		codes[c.Code] = true
		if c.Code <= prev {
			t.Errorf("category %s after %s: keep codes in order, majors before their minors", c.Code, prev)
		}
		prev = c.Code
		r := kindRange[c.Kind]
		if c.Code[:2] < r[0] || c.Code[:2] > r[1] {
			t.Errorf("%s (%s) outside the %s range %s–%s", c.Code, c.NameZH, c.Kind, r[0], r[1])
		}
		if hasHan(c.NameEN) || !hasHan(c.NameZH) {
			t.Errorf("%s: names zh %q en %q", c.Code, c.NameZH, c.NameEN)
		}
		if !c.Leaf() {
			majors[c.Kind]++
			if n := len(x.Children(c.Code)); n < 2 {
				t.Errorf("major %s %s has %d minors, want at least 2", c.Code, c.NameZH, n)
			}
			continue
		}
		leaves[c.Kind]++
		if c.FilingCondition == "" || c.ClosingCondition == "" || c.Department == "" {
			t.Errorf("%s %s: filing, closing condition and department are all required", c.Code, c.NameZH)
		}
		if !slices.Contains(c.Urgencies, "normal") || !slices.Contains(c.Urgencies, "urgent") {
			t.Errorf("%s %s: urgencies %v lack normal or urgent", c.Code, c.NameZH, c.Urgencies)
		}
	}
	total := 0
	for _, k := range wangge.Kinds {
		t.Logf("%-8s %2d majors %3d leaves", k, majors[k], leaves[k])
		if majors[k] < 3 || leaves[k] < 10 {
			t.Errorf("%s: %d majors and %d leaves, want at least 3 and 10", k, majors[k], leaves[k])
		}
		total += leaves[k]
	}
	if total < 100 || total > 140 {
		t.Errorf("%d leaves, want 100–140", total)
	}
	items := map[string]bool{}
	for _, it := range cat.Items {
		if items[it.Code] {
			t.Errorf("item code %s repeats", it.Code)
		}
		items[it.Code] = true
		if it.Department == "" || hasHan(it.NameEN) || !hasHan(it.NameZH) {
			t.Errorf("item %s: department %q, names zh %q en %q", it.Code, it.Department, it.NameZH, it.NameEN)
		}
	}
}

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// TestDutyList checks that the list has teeth: some categories map to items
// that grid workers may not be given, and the usual grid matters may.
func TestDutyList(t *testing.T) {
	cat := catalogue.Default()
	x := catalogue.NewIndex(cat)
	notGrid := 0
	for _, it := range cat.Items {
		if !it.GridDuty {
			notGrid++
		}
	}
	if notGrid < 3 || notGrid > len(cat.Items)/4 {
		t.Errorf("%d of %d items are not grid duties, want a few", notGrid, len(cat.Items))
	}
	departmentOnly := 0
	for _, c := range catalogue.Leaves(cat) {
		it, ok := x.Item(c.Item)
		if !ok {
			t.Fatalf("%s %s: item %s not on the list", c.Code, c.NameZH, c.Item)
		}
		if !it.GridDuty {
			departmentOnly++
		}
	}
	if departmentOnly < 5 {
		t.Errorf("%d categories map to department-only items, want at least 5", departmentOnly)
	}
	for code, want := range map[string]bool{
		"0201": true,  // 违法张贴小广告
		"2101": true,  // 邻里琐事纠纷
		"3001": true,  // 堵塞消防通道
		"2601": false, // 征地补偿纠纷
		"2701": false, // 医患纠纷
		"01":   false, // a major class files no cases
		"9999": false,
	} {
		if got := x.GridDuty(code); got != want {
			t.Errorf("GridDuty(%s) = %v, want %v", code, got, want)
		}
	}
}

func mustLookup(t *testing.T, cat *wangge.Catalogue, code string) *wangge.Category {
	t.Helper()
	c, ok := catalogue.Lookup(cat, code)
	if !ok {
		t.Fatalf("no category %s", code)
	}
	return c
}

func TestDefaultLimits(t *testing.T) {
	cat := catalogue.Default()
	for _, c := range catalogue.Leaves(cat) {
		l := c.Limits
		accept, dispatch, handle, verify := l.Accept.Duration(day), l.Dispatch.Duration(day), l.Handle.Duration(day), l.Verify.Duration(day)
		if accept > time.Hour || accept > dispatch || dispatch > 2*time.Hour {
			t.Errorf("%s %s: accept %v dispatch %v, want accept within 1 h and dispatch within 2 h after it", c.Code, c.NameZH, accept, dispatch)
		}
		if handle > 15*day || verify > day {
			t.Errorf("%s %s: handle %v verify %v, want at most 15 and 1 working days", c.Code, c.NameZH, handle, verify)
		}
		// A limit of 8 hours or more is a working day and should say so:
		// "8 hours" and "1 day" differ across a night.
		for _, s := range []wangge.Limit{l.Accept, l.Dispatch, l.Handle, l.Verify} {
			if s.Unit == "hours" && time.Duration(s.Value)*time.Hour >= day {
				t.Errorf("%s %s: %d hours, give it in days", c.Code, c.NameZH, s.Value)
			}
		}
		if c.Code[:2] == "04" && (handle > 4*time.Hour || verify > 2*time.Hour) {
			t.Errorf("emergency %s %s: handle %v verify %v, want at most 4 h and 2 h", c.Code, c.NameZH, handle, verify)
		}
		if slices.Contains(c.Urgencies, "critical") && !c.AutoEscalate {
			t.Errorf("%s %s may be critical but does not escalate by itself", c.Code, c.NameZH)
		}
	}
	handle := func(code string) time.Duration { return mustLookup(t, cat, code).Limits.Handle.Duration(day) }
	for _, tc := range []struct{ fast, slow string }{
		{"0403", "0101"}, // 燃气管道破裂 before 暴露垃圾
		{"0401", "1104"}, // 路面塌陷 before 道路破损
		{"0405", "3001"}, // 火灾 before 堵塞消防通道
		{"2101", "2201"}, // 邻里琐事 before 宅基地
		{"0101", "2601"}, // 暴露垃圾 before 征地补偿
	} {
		if handle(tc.fast) >= handle(tc.slow) {
			t.Errorf("handle %s in %v, %s in %v: want the first faster", tc.fast, handle(tc.fast), tc.slow, handle(tc.slow))
		}
	}
	for _, code := range []string{"2201", "2301", "2601", "2602"} {
		if h := handle(code); h < 10*day {
			t.Errorf("%s: handle %v, disputes of this size take 10–15 working days", code, h)
		}
	}
}

func TestDefaultEscalation(t *testing.T) {
	cat := catalogue.Default()
	skip := 0
	for _, c := range catalogue.Leaves(cat) {
		if c.SkipToLevel != "" {
			skip++
			if c.SkipToLevel != wangge.LevelCounty || !c.AutoEscalate {
				t.Errorf("%s %s: skip to %s, auto %v", c.Code, c.NameZH, c.SkipToLevel, c.AutoEscalate)
			}
		}
	}
	if skip < 3 {
		t.Errorf("%d categories skip levels, want a few", skip)
	}
	for _, code := range []string{"2402", "3205"} { // 群体性劳资纠纷, 重大事故隐患
		if c := mustLookup(t, cat, code); c.SkipToLevel != wangge.LevelCounty {
			t.Errorf("%s %s does not go straight to the county", code, c.NameZH)
		}
	}
	levels := map[wangge.Level]int{}
	for _, c := range catalogue.Leaves(cat) {
		levels[c.Level]++
	}
	for _, l := range []wangge.Level{wangge.LevelGrid, wangge.LevelCommunity, wangge.LevelStreet, wangge.LevelCounty} {
		if levels[l] == 0 {
			t.Errorf("no category is handled at %s level", l)
		}
	}
	if levels[wangge.LevelGrid] < 10 {
		t.Errorf("%d categories at grid level: 小事不出格 needs more", levels[wangge.LevelGrid])
	}
}

func TestRoundTrip(t *testing.T) {
	cat := catalogue.Default()
	data, err := json.MarshalIndent(cat, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	back, err := catalogue.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cat, back) {
		t.Error("the catalogue changed on a JSON round trip")
	}
}

// TestEmbeddedFileIsTheSource guards against a default.json that parses
// only because of the byte order mark stripping or other leniency.
func TestEmbeddedFileIsTheSource(t *testing.T) {
	data, err := os.ReadFile("default.json")
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(data) {
		t.Fatal("default.json is not plain valid JSON")
	}
	cat, err := catalogue.Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cat, catalogue.Default()) {
		t.Error("Default differs from default.json")
	}
}

func TestDefaultIndependentCopies(t *testing.T) {
	a := catalogue.Default()
	want := catalogue.Default()
	a.Items[0].NameZH = "改"
	a.Items = append(a.Items[:1], wangge.DutyItem{Code: "X"})
	leaf := mustLookup(t, a, "0403")
	leaf.Urgencies[0] = "changed"
	leaf.Limits.Handle.Value = 999
	a.Categories[0].NameEN = "changed"
	if b := catalogue.Default(); !reflect.DeepEqual(b, want) {
		t.Error("editing one Default changed the next")
	}
}

// TestCloneCoversEveryField fails when a catalogue type gains a map, pointer
// or nested slice that Clone would share between copies.
func TestCloneCoversEveryField(t *testing.T) {
	var check func(t *testing.T, typ reflect.Type, path string)
	check = func(t *testing.T, typ reflect.Type, path string) {
		switch typ.Kind() {
		case reflect.String, reflect.Bool, reflect.Int:
		case reflect.Struct:
			for i := range typ.NumField() {
				check(t, typ.Field(i).Type, path+"."+typ.Field(i).Name)
			}
		case reflect.Slice:
			if path != ".Categories.Urgencies" && path != ".Items" && path != ".Categories" {
				t.Errorf("%s is a slice that Clone does not copy", path)
			}
			check(t, typ.Elem(), path)
		default:
			t.Errorf("%s is a %s: teach Clone to copy it", path, typ.Kind())
		}
	}
	check(t, reflect.TypeFor[wangge.Catalogue](), "")
	if catalogue.Clone(nil) != nil {
		t.Error("Clone(nil) is not nil")
	}
}

func TestIndex(t *testing.T) {
	cat := catalogue.Default()
	x := catalogue.NewIndex(cat)
	for _, c := range cat.Categories {
		got, ok := x.Category(c.Code)
		if !ok || got.NameZH != c.NameZH {
			t.Fatalf("Category(%s) = %v, %v", c.Code, got, ok)
		}
	}
	if c, ok := x.Category("0403"); !ok || c.NameZH != "燃气管道破裂" {
		t.Errorf("Category(0403) = %v, %v", c, ok)
	}
	if _, ok := x.Category("0499"); ok {
		t.Error("Category(0499) found")
	}
	if _, ok := catalogue.Lookup(cat, ""); ok {
		t.Error("Lookup of the empty code found something")
	}
	if it, ok := catalogue.Item(cat, "D01"); !ok || it.Code != "D01" {
		t.Errorf("Item(D01) = %v, %v", it, ok)
	}
	n := 0
	for _, c := range cat.Categories {
		if !c.Leaf() {
			n += len(x.Children(c.Code))
		}
	}
	if leaves := len(catalogue.Leaves(cat)); n != leaves {
		t.Errorf("children of all majors: %d, leaves: %d", n, leaves)
	}
	c, _ := x.Category("0101")
	c.NameEN = "Rubbish"
	if cat.Categories[slices.IndexFunc(cat.Categories, func(c wangge.Category) bool { return c.Code == "0101" })].NameEN != "Rubbish" {
		t.Error("Index results do not point into the catalogue")
	}
}

// minimal is the smallest catalogue Parse accepts; the rejection cases edit it.
const minimal = `{
  "items": [
    {"code": "D01", "name_zh": "市容秩序巡查", "name_en": "City appearance patrols", "department": "cgj", "grid_duty": true}
  ],
  "categories": [
    {"code": "01", "kind": "event", "name_zh": "市容环境", "name_en": "City appearance"},
    {"code": "0101", "kind": "event", "name_zh": "暴露垃圾", "name_en": "Exposed rubbish", "level": "community", "item": "D01",
     "urgencies": ["normal", "urgent"],
     "limits": {"accept": {"value": 1, "unit": "hours"}, "dispatch": {"value": 1, "unit": "hours"}, "handle": {"value": 1, "unit": "days"}, "verify": {"value": 1, "unit": "days"}}}
  ]
}`

func TestParseMinimal(t *testing.T) {
	cat, err := catalogue.Parse(strings.NewReader(minimal))
	if err != nil {
		t.Fatal(err)
	}
	if len(cat.Items) != 1 || len(cat.Categories) != 2 || cat.Categories[1].Limits.Handle != (wangge.Limit{Value: 1, Unit: "days"}) {
		t.Errorf("parsed %+v", cat)
	}
	if _, err := catalogue.Parse(strings.NewReader("\xef\xbb\xbf" + minimal)); err != nil {
		t.Errorf("a byte order mark: %v", err)
	}
}

func TestParseRejects(t *testing.T) {
	dupItem := `{"code": "D01", "name_zh": "再来", "name_en": "Again", "grid_duty": true}`
	leaf := minimal[strings.Index(minimal, `{"code": "0101"`) : strings.LastIndex(minimal, "}}}")+3]
	tests := []struct {
		name      string
		old, new  string // replace old by new in minimal
		field     string // the field the error must name
		errorCode string
	}{
		{"unknown field", `"grid_duty": true}`, `"grid_duty": true, "owner": "cgj"}`, "items[0].owner", ""},
		{"field in the wrong case", `"name_en": "Exposed rubbish"`, `"Name_en": "Exposed rubbish"`, "categories[1].Name_en", ""},
		{"unknown field in a limit", `"verify": {"value": 1, "unit": "days"}`, `"verify": {"value": 1, "unit": "days", "per": "case"}`, "categories[1].limits.verify.per", ""},
		{"unknown top-level field", `"items": [`, `"version": 2, "items": [`, "version", ""},
		{"key given twice", `"kind": "event", "name_zh": "市容环境"`, `"kind": "event", "kind": "event", "name_zh": "市容环境"`, "categories[0].kind", ""},
		{"leaf without a major", `"code": "0101"`, `"code": "0201"`, "categories[1].code", ""},
		{"leaf before its major", `{"code": "01", "kind": "event", "name_zh": "市容环境", "name_en": "City appearance"},`, ``, "categories[0].code", ""},
		{"leaf on an unknown item", `"item": "D01"`, `"item": "D99"`, "categories[1].item", ""},
		{"leaf without an item", `"item": "D01",`, ``, "categories[1].item", ""},
		{"missing limit", `, "verify": {"value": 1, "unit": "days"}`, ``, "categories[1].limits.verify", ""},
		{"no limits at all", `"limits"`, `"limits_"`, "categories[1].limits_", ""},
		{"zero limit", `"handle": {"value": 1,`, `"handle": {"value": 0,`, "categories[1].limits.handle.value", ""},
		{"bad unit", `"handle": {"value": 1, "unit": "days"}`, `"handle": {"value": 1, "unit": "weeks"}`, "categories[1].limits.handle.unit", ""},
		{"limit as a string", `"accept": {"value": 1,`, `"accept": {"value": "1",`, "categories[1].limits.accept.value", ""},
		{"fractional limit", `"accept": {"value": 1,`, `"accept": {"value": 1.5,`, "categories[1].limits.accept.value", ""},
		{"null limit", `"accept": {"value": 1, "unit": "hours"}`, `"accept": null`, "categories[1].limits.accept", ""},
		{"duplicate category code", leaf, leaf + ",\n" + leaf, "categories[2].code", ""},
		{"duplicate item code", `"grid_duty": true}`, `"grid_duty": true}, ` + dupItem, "items[1].code", ""},
		{"unknown urgency", `["normal", "urgent"]`, `["normal", "soon"]`, "categories[1].urgencies[1]", ""},
		{"urgency twice", `["normal", "urgent"]`, `["normal", "normal"]`, "categories[1].urgencies[1]", ""},
		{"bad kind", `"kind": "event", "name_zh": "暴露垃圾"`, `"kind": "incident", "name_zh": "暴露垃圾"`, "categories[1].kind", ""},
		{"bad level", `"level": "community"`, `"level": "village"`, "categories[1].level", ""},
		{"grid_duty as a string", `"grid_duty": true`, `"grid_duty": "yes"`, "items[0].grid_duty", ""},
		{"categories not a list", `"categories": [`, `"categories": {"x": [`, "categories", ""},
		{"no categories", minimal[strings.Index(minimal, `"categories"`):], `"categories": []}`, "categories", ""},
		{"syntax error inside a leaf", `"level": "community",`, `"level": "community",,`, "categories[1]", ""},
		{"trailing data", minimal, minimal + ` {}`, "", wangge.EINVALID},
		{"not an object", minimal, `[]`, "", wangge.EINVALID},
		{"null", minimal, `null`, "", wangge.EINVALID},
		{"empty", minimal, ``, "", wangge.EINVALID},
		{"cut short", minimal, minimal[:strings.Index(minimal, `["normal"`)], "categories[1].urgencies", ""},
		{"too large", minimal, minimal + strings.Repeat(" ", catalogue.MaxSize), "", wangge.ETOOLARGE},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(minimal, tc.old) {
				t.Fatalf("the test's old text is not in minimal: %q", tc.old)
			}
			doc := strings.Replace(minimal, tc.old, tc.new, 1)
			cat, err := catalogue.Parse(strings.NewReader(doc))
			if err == nil {
				t.Fatalf("accepted: %+v", cat)
			}
			if cat != nil {
				t.Error("a catalogue came back with the error")
			}
			want := tc.errorCode
			if want == "" {
				want = wangge.EINVALID
			}
			if got := wangge.ErrorCode(err); got != want {
				t.Errorf("code %s, want %s: %v", got, want, err)
			}
			if tc.field == "" {
				return
			}
			if _, ok := wangge.ErrorFields(err)[tc.field]; !ok {
				t.Errorf("error does not name %s: %v", tc.field, err)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("message does not name %s: %v", tc.field, err)
			}
		})
	}
}

func TestParseSyntaxErrorPosition(t *testing.T) {
	doc := strings.Replace(minimal, `"level": "community",`, `"level": "community" "x",`, 1)
	_, err := catalogue.Parse(strings.NewReader(doc))
	if err == nil || !strings.Contains(err.Error(), "line 7,") {
		t.Errorf("want an error at line 7, got %v", err)
	}
}

func FuzzParse(f *testing.F) {
	def, err := os.ReadFile("default.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		string(def), minimal, `{}`, `null`, `[]`, `{"items": null, "categories": null}`,
		strings.Replace(minimal, `"value": 1,`, `"value": -1,`, 1),
		strings.Replace(minimal, `"days"`, `"weeks"`, 1),
		strings.Replace(minimal, `"0101"`, `"0201"`, 1),
		minimal[:300],
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cat, err := catalogue.Parse(bytes.NewReader(data))
		if err != nil {
			if cat != nil {
				t.Fatal("a catalogue and an error")
			}
			if c := wangge.ErrorCode(err); c != wangge.EINVALID && c != wangge.ETOOLARGE {
				t.Fatalf("error code %s: %v", c, err)
			}
			return
		}
		if err := cat.Validate(nil); err != nil {
			t.Fatalf("Parse accepted what Validate rejects: %v", err)
		}
		// What Parse accepts, it must accept again after writing it out.
		out, err := json.Marshal(cat)
		if err != nil {
			t.Fatal(err)
		}
		again, err := catalogue.Parse(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if out2, _ := json.Marshal(again); !bytes.Equal(out, out2) {
			t.Fatalf("round trip changed\n%s\nto\n%s", out, out2)
		}
	})
}

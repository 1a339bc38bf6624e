package boston

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wangge/wangge"
)

// HandlingLevel is the level that handles every Boston category. Boston is
// one city whose departments work city-wide, so the city itself is imported
// as a county-level unit (like a 区) and its departments handle at that
// level; wards and precincts are only where cases are located.
const HandlingLevel = wangge.LevelCounty

// DefaultLimit is the handling limit of a type for which the city set no
// target_dt on any row (25 rare types); those rows are outside
// deadline_match, so any reasonable value serves.
var DefaultLimit = wangge.Limit{Value: 10, Unit: "days"}

// stepLimit is the accept, dispatch and verify limit. The replay accepts and
// dispatches each case at its open time, so the handling clock starts at open
// and the handling deadline is the one compared with the city's.
var stepLimit = wangge.Limit{Value: 1, Unit: "hours"}

// facilityWords mark types about a public facility (部件) rather than an
// event; the rest are events.
var facilityWords = []string{"street light", "sign", "sidewalk", "pothole", "traffic signal", "tree",
	"litter basket", "parking meter", "lighting", "pavement marking", "roadway", "catchbasin",
	"bridge", "fire hydrant", "watermain", "manhole", "highway"}

// KindOf returns the case kind of a request type.
func KindOf(typ string) wangge.Kind {
	t := strings.ToLower(typ)
	if strings.HasPrefix(t, "new sign") || strings.Contains(t, "new tree") {
		// Requests for something new are still about a facility.
		return wangge.KindFacility
	}
	for _, w := range facilityWords {
		if strings.Contains(t, w) {
			return wangge.KindFacility
		}
	}
	return wangge.KindEvent
}

// CatalogueLimit returns the handling limit the catalogue stores for a
// type: working days as "days"; the city's calendar-time limits as
// "natural_days" when they are whole days (up to two years) and
// "natural_hours" otherwise (Highway Maintenance's 185 hours). Types the
// city never gave a target get DefaultLimit.
func (m *Model) CatalogueLimit(typ string) wangge.Limit {
	l, ok := m.Limits[typ]
	switch {
	case !ok || l.Value <= 0:
		return DefaultLimit
	case l.Unit == "days":
		return l
	case l.Value%24 == 0:
		return wangge.Limit{Value: l.Value / 24, Unit: wangge.LimitNaturalDays}
	}
	return wangge.Limit{Value: l.Value, Unit: wangge.LimitNaturalHours}
}

// Catalogue builds the case catalogue of the data with the measured model
// (Infer); see BuildCatalogue.
func Catalogue(d *Data) *wangge.Catalogue {
	m, err := Infer(d)
	if err != nil {
		// Infer fails only when the whole-day calendar cannot be built,
		// which no data can cause.
		panic(err)
	}
	cat, _ := BuildCatalogue(d, m)
	return cat
}

// BuildCatalogue returns one leaf category per request type and the map from
// type to its four-digit code. Majors are one per department and kind
// (facility or event), numbered by the department's number of requests;
// leaves are numbered within their major by the type's number of requests,
// so the codes are stable for this file. There is one duty item per
// department, with the department's code as the item code.
func BuildCatalogue(d *Data, m *Model) (*wangge.Catalogue, map[string]string) {
	typeCount := map[string]int{}
	depCount := map[string]int{}
	for i := range d.Requests {
		typeCount[d.Requests[i].Type]++
	}
	type major struct {
		dep  string
		kind wangge.Kind
	}
	leaves := map[major][]string{}
	for t, n := range typeCount {
		dep := DepartmentCode(m.Routing.ByType[t])
		depCount[dep] += n
		k := major{dep, KindOf(t)}
		leaves[k] = append(leaves[k], t)
	}
	var majors []major
	for k := range leaves {
		majors = append(majors, k)
	}
	sort.Slice(majors, func(i, j int) bool {
		a, b := majors[i], majors[j]
		if a.dep != b.dep {
			if depCount[a.dep] != depCount[b.dep] {
				return depCount[a.dep] > depCount[b.dep]
			}
			return a.dep < b.dep
		}
		return a.kind < b.kind
	})
	cat := &wangge.Catalogue{}
	deps := map[string]bool{}
	for _, k := range majors {
		if deps[k.dep] {
			continue
		}
		deps[k.dep] = true
		zh, en := departmentName(k.dep)
		cat.Items = append(cat.Items, wangge.DutyItem{Code: k.dep, NameZH: zh + "事项", NameEN: en + " requests", Department: k.dep})
	}
	codes := map[string]string{}
	for i, k := range majors {
		mc := fmt.Sprintf("%02d", i+1)
		zh, en := departmentName(k.dep)
		kzh, ken := "事件", "events"
		if k.kind == wangge.KindFacility {
			kzh, ken = "部件", "facilities"
		}
		cat.Categories = append(cat.Categories, wangge.Category{
			Code: mc, Kind: k.kind, NameZH: zh + kzh, NameEN: en + " " + ken, Department: k.dep,
		})
		types := leaves[k]
		sort.Slice(types, func(i, j int) bool {
			if typeCount[types[i]] != typeCount[types[j]] {
				return typeCount[types[i]] > typeCount[types[j]]
			}
			return types[i] < types[j]
		})
		for j, t := range types {
			code := fmt.Sprintf("%s%02d", mc, j+1)
			codes[t] = code
			zhName := namesZH[t]
			if zhName == "" {
				zhName = t
			}
			cat.Categories = append(cat.Categories, wangge.Category{
				Code: code, Kind: k.kind, NameZH: zhName, NameEN: t, Department: k.dep,
				Level: HandlingLevel, Item: k.dep,
				Limits: wangge.Limits{Accept: stepLimit, Dispatch: stepLimit, Handle: m.CatalogueLimit(t), Verify: stepLimit},
			})
		}
	}
	// Leaves of a major follow it directly, as Validate wants majors first;
	// with more than 99 leaves in one major the codes would overflow.
	return cat, codes
}

func departmentName(dep string) (zh, en string) {
	if n, ok := DepartmentNames[dep]; ok {
		return n[0], n[1]
	}
	return dep, dep
}

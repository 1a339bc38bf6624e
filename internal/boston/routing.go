package boston

import (
	"sort"
	"strings"
)

// Routing sends a request to a department from what is known at intake.
//
// The city's department is the prefix of the work queue that held the case
// last (true of every row), so it records where the case ended, not where it
// was sent: cases re-queued to INFO ("INFO_Reallocation From Dept", the
// generic "INFO01" form), graffiti split between Property Management (PROP)
// and Public Works' own crews (PWDx), street-light and sign work handed to
// Transportation (BTDT). Nothing in the type, place or month explains these
// moves (they spread over all wards and months); they are mostly reports that
// residents filed under the wrong type in the Citizens Connect app, which the
// intake source predicts in part. So the rule is the most frequent department
// of the type, refined by the source where that changes the answer.
type Routing struct {
	// ByType is the most frequent department (as the city writes it, such
	// as "PWDx") of each type.
	ByType map[string]string
	// BySource overrides ByType for a type and source (key Key(type,
	// source)) whose own most frequent department differs.
	BySource map[string]string
}

// Key joins a type and a source into a BySource key.
func Key(typ, source string) string { return typ + "\x00" + source }

// InferRouting counts departments per type and per type and source, and keeps
// the most frequent of each (ties: the alphabetically first department).
func InferRouting(d *Data) *Routing {
	byType := map[string]map[string]int{}
	bySrc := map[string]map[string]int{}
	inc := func(m map[string]map[string]int, k, dep string) {
		if m[k] == nil {
			m[k] = map[string]int{}
		}
		m[k][dep]++
	}
	for i := range d.Requests {
		q := &d.Requests[i]
		inc(byType, q.Type, q.Department)
		inc(bySrc, Key(q.Type, q.Source), q.Department)
	}
	r := &Routing{ByType: map[string]string{}, BySource: map[string]string{}}
	for t, c := range byType {
		r.ByType[t] = mostFrequent(c)
	}
	for k, c := range bySrc {
		t, _, _ := strings.Cut(k, "\x00")
		if dep := mostFrequent(c); dep != r.ByType[t] {
			r.BySource[k] = dep
		}
	}
	return r
}

func mostFrequent(c map[string]int) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	best := ""
	for _, k := range keys {
		if best == "" || c[k] > c[best] {
			best = k
		}
	}
	return best
}

// Department returns the city's department code for a request of the given
// type and source, or "" for a type never seen.
func (r *Routing) Department(typ, source string) string {
	if dep, ok := r.BySource[Key(typ, source)]; ok {
		return dep
	}
	return r.ByType[typ]
}

// DepartmentCode turns the city's department code into Wangge's short
// lower-case one: "PWDx" → "pwd", "BPS_" → "bps", "No Q" → "noq".
func DepartmentCode(cityDept string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(cityDept) {
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	s := b.String()
	if s == "pwdx" {
		return "pwd"
	}
	return s
}

// DepartmentNames are the city departments behind the codes, for the
// department records an import stores.
var DepartmentNames = map[string][2]string{
	"pwd":  {"公共工程局", "Public Works Department"},
	"isd":  {"检查服务局", "Inspectional Services"},
	"park": {"公园与游憩局", "Parks & Recreation"},
	"btdt": {"交通局", "Transportation Department"},
	"info": {"市长热线办公室", "Mayor's 24 Hour Hotline"},
	"prop": {"物业管理局", "Property Management"},
	"bwsc": {"波士顿供水与排水委员会", "Boston Water & Sewer Commission"},
	"disb": {"残障人士委员会", "Disability Department"},
	"bps":  {"波士顿公立学校", "Boston Public Schools"},
	"noq":  {"未分队列", "No queue"},
	"bha":  {"波士顿住房局", "Boston Housing Authority"},
}

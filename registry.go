package wangge

import (
	"strings"
	"time"
)

// Building is a registered building with its standard address (一标三实:
// one standard address; real population, real housing, real entities).
type Building struct {
	ID       int64   `json:"id"`
	Code     string  `json:"code"`      // micro-grid code + 4 digits
	UnitCode string  `json:"unit_code"` // the micro-grid (or grid) it stands in
	Address  string  `json:"address"`   // standard address
	Name     string  `json:"name"`
	Use      string  `json:"use"` // residential, commercial, mixed, public
	Floors   int     `json:"floors"`
	Lon      float64 `json:"lon"` // WGS84
	Lat      float64 `json:"lat"`
	CRS      string  `json:"crs"` // the system the point arrived in
}

// Household is a registered household (户) living at one address.
type Household struct {
	ID         int64    `json:"id"`
	BuildingID int64    `json:"building_id"`
	UnitCode   string   `json:"unit_code"`
	Room       string   `json:"room"`
	Address    string   `json:"address"`
	HeadName   string   `json:"head_name"`
	Members    int      `json:"members"`
	Rented     bool     `json:"rented"` // 出租房
	Tags       []string `json:"tags"`
}

// Residence distinguishes registered (户籍) from floating (流动) population.
type Residence string

// Residence kinds.
const (
	ResidenceRegistered Residence = "registered"
	ResidenceFloating   Residence = "floating"
)

// Relations to the head of household (与户主关系).
var Relations = []string{"head", "spouse", "child", "parent", "grandchild", "sibling", "tenant", "other"}

// Person tags of the registry.
const (
	TagElderlyAlone = "elderly_alone" // 独居老人
	TagLeftBehind   = "left_behind"   // 留守
	TagDisabled     = "disabled"      // 残疾
	TagLowIncome    = "low_income"    // 低保
	TagRented       = "rented"        // 出租房 (household)
	TagSpecial      = "special"       // 特殊人群
)

// PersonTags lists the tags a person may carry.
var PersonTags = []string{TagElderlyAlone, TagLeftBehind, TagDisabled, TagLowIncome, TagSpecial}

// Person is a resident with the GB/T 31000 core items. IDNumber and Phone
// hold the plain values only on the way in; everything that leaves the
// system carries the masked forms unless a reveal was logged.
type Person struct {
	ID          int64      `json:"id"`
	HouseholdID int64      `json:"household_id,omitempty"`
	UnitCode    string     `json:"unit_code"`
	Name        string     `json:"name"`
	IDNumber    string     `json:"id_number"`
	Sex         Sex        `json:"sex"`
	BirthDate   time.Time  `json:"birth_date"`
	Phone       string     `json:"phone,omitempty"`
	Ethnicity   string     `json:"ethnicity"`
	Residence   Residence  `json:"residence"`
	Relation    string     `json:"relation"`
	Tags        []string   `json:"tags"`
	CareTier    CareTier   `json:"care_tier"`
	LastVisit   *time.Time `json:"last_visit,omitempty"`
	NextVisit   *time.Time `json:"next_visit_due,omitempty"`
}

// Validate checks a person on the way in and derives sex and birth date from
// the ID number.
func (p *Person) Validate(now time.Time) error {
	var v Validation
	if strings.TrimSpace(p.Name) == "" {
		v.Add("name", "required")
	} else if len(p.Name) > 100 {
		v.Add("name", "too long")
	}
	if id, err := ParseIDNumber(p.IDNumber, now); err != nil {
		v.Add("id_number", ErrorFields(err)["id_number"])
	} else {
		p.IDNumber, p.Sex, p.BirthDate = id.Number, id.Sex, id.BirthDate
	}
	if p.Phone != "" && !ValidPhone(p.Phone) {
		v.Add("phone", "must be an 11-digit mobile number or a landline")
	}
	if !ValidCode(p.UnitCode) {
		v.Add("unit_code", "required")
	}
	switch p.Residence {
	case "":
		p.Residence = ResidenceRegistered
	case ResidenceRegistered, ResidenceFloating:
	default:
		v.Add("residence", "must be registered or floating")
	}
	if p.Relation == "" {
		p.Relation = "other"
	} else if !contains(Relations, p.Relation) {
		v.Add("relation", "unknown relation")
	}
	if p.Ethnicity == "" {
		p.Ethnicity = "汉族"
	}
	for _, t := range p.Tags {
		if !contains(PersonTags, t) {
			v.Add("tags", "unknown tag "+t)
		}
	}
	if p.CareTier == "" {
		p.CareTier = DefaultCareTier(p.Tags)
	} else if p.CareTier.Interval() == nil {
		v.Add("care_tier", "must be high_risk, key or general")
	}
	return v.Err()
}

// ValidPhone accepts a mainland mobile number (11 digits starting with 1)
// or a landline of 7 to 12 digits with an optional area-code hyphen.
func ValidPhone(s string) bool {
	if len(s) == 11 && s[0] == '1' && allDigits(s) {
		return true
	}
	d := strings.Replace(s, "-", "", 1)
	return len(d) >= 7 && len(d) <= 12 && allDigits(d) && s[0] == '0'
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// CareTier is how often a grid worker must visit a person.
type CareTier string

// Care tiers: high-risk weekly, key monthly, general quarterly.
const (
	CareHighRisk CareTier = "high_risk"
	CareKey      CareTier = "key"
	CareGeneral  CareTier = "general"
)

// Interval returns the function that moves a visit date to the next due
// date, or nil for an unknown tier.
func (t CareTier) Interval() func(time.Time) time.Time {
	switch t {
	case CareHighRisk:
		return func(d time.Time) time.Time { return d.AddDate(0, 0, 7) }
	case CareKey:
		return func(d time.Time) time.Time { return d.AddDate(0, 1, 0) }
	case CareGeneral:
		return func(d time.Time) time.Time { return d.AddDate(0, 3, 0) }
	}
	return nil
}

// NextVisitDue returns when the next visit is due after a visit at last.
func (t CareTier) NextVisitDue(last time.Time) time.Time {
	if f := t.Interval(); f != nil {
		return f(last)
	}
	return CareGeneral.Interval()(last)
}

// DefaultCareTier derives a tier from tags: elderly living alone and special
// groups are high-risk, other vulnerable groups key, everyone else general.
func DefaultCareTier(tags []string) CareTier {
	tier := CareGeneral
	for _, t := range tags {
		switch t {
		case TagElderlyAlone, TagSpecial:
			return CareHighRisk
		case TagLeftBehind, TagDisabled, TagLowIncome:
			tier = CareKey
		}
	}
	return tier
}

// Visit is a grid worker's door-to-door visit (走访) to a person.
type Visit struct {
	ID        int64     `json:"id"`
	PersonID  int64     `json:"person_id"`
	UnitCode  string    `json:"unit_code"`
	VisitorID int64     `json:"visitor_id"`
	At        time.Time `json:"at"`
	Note      string    `json:"note"`
	// IdempotencyKey, chosen by the visitor's app, makes a retried visit
	// (one recorded offline and sent again) record once.
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// Department is a functional department that handles cases.
type Department struct {
	ID       int64  `json:"id"`
	Code     string `json:"code"`
	NameZH   string `json:"name_zh"`
	NameEN   string `json:"name_en"`
	UnitCode string `json:"unit_code"` // the county (or street) it serves
}

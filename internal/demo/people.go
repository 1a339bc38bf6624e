package demo

import (
	"math/rand/v2"
	"time"

	"github.com/wangge/wangge"
)

// householdSizes is the share of households with 1..7 members. Its mean,
// 3.80, is what 280,000 residents in the 181 grids of about 400 households
// each imply; one-person households are mostly elderly people living alone.
var householdSizes = [7]float64{0.09, 0.13, 0.20, 0.25, 0.18, 0.10, 0.05}

// meanHouseholdSize is the mean of householdSizes.
var meanHouseholdSize = func() float64 {
	var m float64
	for i, p := range householdSizes {
		m += float64(i+1) * p
	}
	return m
}()

// drawSize draws a household size from householdSizes.
func drawSize(rng *rand.Rand) int {
	r := rng.Float64()
	for i, p := range householdSizes {
		if r < p {
			return i + 1
		}
		r -= p
	}
	return len(householdSizes)
}

// Tags of a member as bits, turned into wangge tag strings at the end.
const (
	bitElderlyAlone = 1 << iota
	bitLeftBehind
	bitDisabled
	bitLowIncome
	bitSpecial
)

// member is one resident of a household being composed.
type member struct {
	rel     string
	age     int
	male    bool
	surname int // index into surnames
	tags    uint8
	inherit bool // children take the head's ethnicity
}

// Shares of the household templates, chosen so that the tagged groups come
// out near their targets: elderly living alone ≈ 1.5 % of residents (64 %
// of one-person households), left-behind children ≈ 1 % (grandparents
// raising grandchildren in 5 % of three- and 6 % of four-person households).
const (
	shareElderlyAlone = 0.64
	shareSkippedGen3  = 0.05
	shareSkippedGen4  = 0.06
)

// Ages that the relations and tags hang on.
const (
	maxAge           = 95
	leftBehindBelow  = 16 // 留守儿童 are children under 16
	elderlyAloneFrom = 70
	marriageAge      = 20
	minParentGap     = 20 // parents are at least this much older than their children
)

// Shares of the other attributes, per person unless noted.
const (
	phoneShareAdults       = 0.93 // adults under 75; children get no phone
	phoneShareOld          = 0.6
	rentedShare            = 0.10  // per household
	floatingIfRented       = 0.80  // per household, like the two below
	floatingIfOwned        = 0.085 // 0.1*0.8 + 0.9*0.085 ≈ 15 % floating overall
	lowIncomeShare         = 0.02  // per household, all members carry the tag
	disabledShareYoung     = 0.012
	disabledShareOld       = 0.05 // from 60; the two give ≈ 2 % overall
	specialShare           = 0.0026
	specialFrom, specialTo = 18, 65
)

// composer draws the members of households.
type composer struct {
	rng  *rand.Rand
	ms   []member
	kids [8]int // scratch for childAges, so composing allocates nothing
}

func (c *composer) surname() int {
	n := len(surnames)
	return min(c.rng.IntN(n), c.rng.IntN(n)) // common surnames more often
}

func (c *composer) between(lo, hi int) int { return lo + c.rng.IntN(hi-lo+1) }

func (c *composer) add(rel string, age int, male bool, surname int) *member {
	c.ms = append(c.ms, member{rel: rel, age: min(max(age, 0), maxAge), male: male, surname: surname})
	return &c.ms[len(c.ms)-1]
}

// compose returns the members of a household of the given size, head first.
// Ages follow the relations: children and grandchildren are younger than
// the head by a generation, parents older, spouses adult.
func (c *composer) compose(size int) []member {
	c.ms = c.ms[:0]
	r := c.rng.Float64()
	switch size {
	case 1:
		if r < shareElderlyAlone {
			age := elderlyAloneFrom + min(c.rng.IntN(maxAge-elderlyAloneFrom+1), c.rng.IntN(maxAge-elderlyAloneFrom+1))
			c.add("head", age, c.rng.Float64() < 0.4, c.surname()).tags = bitElderlyAlone
		} else {
			c.add("head", 20+min(c.rng.IntN(43), c.rng.IntN(43)), c.rng.Float64() < 0.55, c.surname())
		}
	case 2:
		switch {
		case r < 0.45:
			c.couple(c.between(60, 88), 0)
		case r < 0.80:
			c.couple(c.between(22, 40), 0)
		default: // a single parent and a child
			child := c.between(0, 25)
			male := c.rng.Float64() < 0.3
			s := c.surname()
			c.add("head", child+c.between(22, 35), male, s)
			cs := s
			if !male {
				cs = c.surname() // the child carries the absent father's surname
			}
			c.add("child", child, c.rng.Float64() < 0.5, cs).inherit = true
		}
	case 3:
		switch {
		case r < shareSkippedGen3:
			c.skipped(1)
		case r < 0.80:
			c.family(1, 0)
		default:
			c.family(0, 1)
		}
	case 4:
		switch {
		case r < shareSkippedGen4:
			c.skipped(2)
		case r < 0.60:
			c.family(2, 0)
		default:
			c.family(1, 1)
		}
	case 5:
		switch {
		case r < 0.45:
			c.family(1, 2)
		case r < 0.75:
			c.family(2, 1)
		default:
			c.threeGen(1, 1)
		}
	case 6:
		if r < 0.5 {
			c.family(2, 2)
		} else {
			c.threeGen(1, 2)
		}
	default:
		if r < 0.5 {
			c.family(3, 2)
		} else {
			c.threeGen(2, 2)
		}
	}
	return c.ms
}

// couple adds a head of the given age and a spouse of about the same age,
// never younger than minSpouse or the marriage age. It returns the surname
// children take (the husband's).
func (c *composer) couple(headAge, minSpouse int) int {
	male := c.rng.Float64() < 0.75
	hs, ss := c.surname(), c.surname()
	c.add("head", headAge, male, hs)
	spouse := headAge + c.between(-5, 3)
	if !male {
		spouse = headAge + c.between(-3, 5)
	}
	c.add("spouse", max(spouse, minSpouse, marriageAge), !male, ss)
	if male {
		return hs
	}
	return ss
}

// childAges draws the ages of n siblings, youngest at most maxYoungest,
// returned eldest first. The result is valid until the next call.
func (c *composer) childAges(n, maxYoungest int) []int {
	ages := c.kids[:n]
	a := c.between(0, maxYoungest)
	for i := n - 1; i >= 0; i-- {
		ages[i] = a
		a += c.between(1, 6)
	}
	return ages
}

// family adds a couple with nChildren children and nParents of the head's
// parents living with them.
func (c *composer) family(nChildren, nParents int) {
	var kids []int
	var head int
	switch {
	case nChildren == 0:
		head = c.between(28, 57)
	case nParents > 0:
		// Keep the head young enough that their parents are alive.
		kids = c.childAges(nChildren, 12)
		head = kids[0] + c.between(24, 35)
	default:
		// Grown children often live with their parents until they marry.
		kids = c.childAges(nChildren, 26)
		head = kids[0] + c.between(24, 35)
	}
	oldest := -1
	if len(kids) > 0 {
		oldest = kids[0]
	}
	cs := c.couple(head, oldest+minParentGap)
	for _, a := range kids {
		c.add("child", a, c.rng.Float64() < 0.52, cs).inherit = true
	}
	hs := c.ms[0].surname
	father := head + c.between(24, 34)
	switch nParents {
	case 1:
		if c.rng.Float64() < 0.65 { // widowed mothers outnumber widowed fathers
			c.add("parent", father+c.between(-4, 2), false, c.surname())
		} else {
			c.add("parent", father, true, hs)
		}
	case 2:
		c.add("parent", father, true, hs)
		c.add("parent", max(father+c.between(-5, 1), head+minParentGap), false, c.surname())
	}
}

// skipped adds grandparents raising n grandchildren under 16 whose parents
// work elsewhere: the left-behind children (留守儿童).
func (c *composer) skipped(n int) {
	kids := c.childAges(n, leftBehindBelow-1-6*(n-1))
	cs := c.couple(kids[0]+c.between(45, 62), 50)
	for _, a := range kids {
		m := c.add("grandchild", a, c.rng.Float64() < 0.52, cs)
		m.tags, m.inherit = bitLeftBehind, true
	}
}

// threeGen adds a grandparent head and spouse, nAdult grown children (the
// first with a spouse, relation "other") and nGrand grandchildren.
func (c *composer) threeGen(nAdult, nGrand int) {
	grand := c.childAges(nGrand, 20)
	child := grand[0] + c.between(23, 34)
	head := min(child+c.between(23, 33), maxAge)
	cs := c.couple(head, child+minParentGap)
	sonFirst := c.rng.Float64() < 0.6 // the married child usually a son
	first := c.add("child", child, sonFirst, cs)
	first.inherit = true
	childSurname := first.surname
	inLaw := c.surname()
	c.add("other", max(child+c.between(-3, 3), grand[0]+minParentGap, marriageAge), !sonFirst, inLaw)
	for k := 1; k < nAdult; k++ {
		c.add("child", max(child-c.between(1, 6), 16), c.rng.Float64() < 0.5, cs).inherit = true
	}
	gs := childSurname
	if !sonFirst {
		gs = inLaw
	}
	for _, a := range grand {
		c.add("grandchild", a, c.rng.Float64() < 0.52, gs).inherit = true
	}
}

// idMaker issues ID numbers: region, birth date, a sequence unique per birth
// date and sex, check character.
type idMaker struct {
	now    time.Time
	base   time.Time // now's calendar date at UTC midnight, the reference for birth dates
	epoch  int64     // Unix day of the earliest possible birth date
	counts []uint16  // IDs issued per (day, sex)
	off    [2]int    // scrambles sequences so they do not all start at 001
	region string
}

func newIDMaker(rng *rand.Rand, region string, now time.Time) *idMaker {
	base := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	earliest := base.AddDate(-maxAge-2, 0, 0)
	days := base.Unix()/86400 - earliest.Unix()/86400 + 1
	return &idMaker{
		now: now, base: base, epoch: earliest.Unix() / 86400,
		counts: make([]uint16, 2*days), off: [2]int{rng.IntN(seqSlots), rng.IntN(seqSlots)},
		region: region,
	}
}

// seqSlots is the number of sequences per birth date and sex: the 3-digit
// sequence is 2v (women) or 2v-1 (men) for v in 1..499.
const seqSlots = 499

// issue draws a birth date for someone aged age at now, writes the 18
// characters of a valid ID number into dst and returns the birth date. The
// birth date lies 1 to 364 days before the anniversary, so the age is exact
// and the date is never after now in any time zone.
func (m *idMaker) issue(rng *rand.Rand, age int, male bool, dst []byte) time.Time {
	sex := 0
	if male {
		sex = 1
	}
	back := 1 + rng.IntN(364)
	birth := m.base.AddDate(-age, 0, -back)
	day := birth.Unix()/86400 - m.epoch
	// 499 people of one sex born on one day never happens at this size, but
	// if it did, a neighbouring day of the same age takes the overflow.
	for step := 1; m.counts[2*day+int64(sex)] >= seqSlots && step < 728; step++ {
		b := step/2 + 1
		if step%2 == 1 {
			b = -b
		}
		if back+b < 1 || back+b > 364 {
			continue
		}
		back += b
		birth = m.base.AddDate(-age, 0, -back)
		day = birth.Unix()/86400 - m.epoch
	}
	n := int(m.counts[2*day+int64(sex)])
	m.counts[2*day+int64(sex)]++
	// 263 is prime to 499, so n → v is a permutation for each day; the day
	// term keeps the first person of every day off one sequence number.
	v := (n*263+m.off[sex]+int(day%seqSlots)*131)%seqSlots + 1
	seq := 2*v - sex

	copy(dst, m.region)
	y, mo, d := birth.Date()
	put(dst[6:10], y)
	put(dst[10:12], int(mo))
	put(dst[12:14], d)
	put(dst[14:17], seq)
	// The string conversion of a 17-byte slice passed to a function that
	// does not keep it stays on the stack.
	chk, _ := wangge.IDCheckDigit(string(dst[:17]))
	dst[17] = chk
	return birth
}

// put writes v as len(dst) decimal digits, zero-padded.
func put(dst []byte, v int) {
	for i := len(dst) - 1; i >= 0; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
}

// tagStrings turns tag bits into the registry's tag list, in PersonTags
// order. The empty list is non-nil, so it encodes as [] rather than null.
func tagStrings(bits uint8) []string {
	if bits == 0 {
		return []string{}
	}
	out := make([]string, 0, 2)
	for i, t := range []string{wangge.TagElderlyAlone, wangge.TagLeftBehind, wangge.TagDisabled, wangge.TagLowIncome, wangge.TagSpecial} {
		if bits&(1<<i) != 0 {
			out = append(out, t)
		}
	}
	return out
}

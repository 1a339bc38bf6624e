package gen

import (
	"strconv"
	"strings"
)

// cities are Zhejiang's 11 prefecture-level cities in code order
// (3301..3311); a province with fewer takes the first ones.
var cities = [][2]string{
	{"杭州市", "Hangzhou"}, {"宁波市", "Ningbo"}, {"温州市", "Wenzhou"}, {"嘉兴市", "Jiaxing"}, {"湖州市", "Huzhou"},
	{"绍兴市", "Shaoxing"}, {"金华市", "Jinhua"}, {"衢州市", "Quzhou"}, {"舟山市", "Zhoushan"}, {"台州市", "Taizhou"}, {"丽水市", "Lishui"},
}

// syllables make place names: two of them and a suffix (安澜镇, 青溪社区).
var syllables = [][2]string{
	{"安", "an"}, {"宝", "bao"}, {"滨", "bin"}, {"昌", "chang"}, {"城", "cheng"}, {"崇", "chong"}, {"大", "da"}, {"东", "dong"},
	{"凤", "feng"}, {"福", "fu"}, {"港", "gang"}, {"和", "he"}, {"河", "he"}, {"红", "hong"}, {"湖", "hu"}, {"华", "hua"},
	{"怀", "huai"}, {"江", "jiang"}, {"金", "jin"}, {"锦", "jin"}, {"景", "jing"}, {"康", "kang"}, {"兰", "lan"}, {"临", "lin"},
	{"龙", "long"}, {"梅", "mei"}, {"明", "ming"}, {"南", "nan"}, {"宁", "ning"}, {"平", "ping"}, {"浦", "pu"}, {"桥", "qiao"},
	{"青", "qing"}, {"庆", "qing"}, {"山", "shan"}, {"石", "shi"}, {"水", "shui"}, {"泰", "tai"}, {"塘", "tang"}, {"天", "tian"},
	{"桐", "tong"}, {"溪", "xi"}, {"仙", "xian"}, {"祥", "xiang"}, {"新", "xin"}, {"兴", "xing"}, {"阳", "yang"}, {"永", "yong"},
	{"玉", "yu"}, {"云", "yun"}, {"长", "chang"}, {"竹", "zhu"},
}

// institutions give exclusive grids (专属网格) their names.
var institutions = [][2]string{
	{"学校", "School"}, {"医院", "Hospital"}, {"农贸市场", "Market"}, {"工业园区", "Industrial Park"}, {"景区", "Scenic Area"},
}

// pairStep walks the syllable pairs so that siblings (consecutive ranks)
// get different names: it is prime to the number of pairs (52² = 2⁴·13²).
const pairStep = 617

// placeName is the two-syllable name of the rank-th child (0-based) of the
// parent whose code is given, in Chinese and in pinyin with a capital.
func (p *Province) placeName(parent string, rank int) (zh, en string) {
	n := len(syllables) * len(syllables)
	k := int((hash(p.seed, 5, codeKey(parent)) + uint64(rank)*pairStep) % uint64(n))
	a, b := syllables[k/len(syllables)], syllables[k%len(syllables)]
	return a[0] + b[0], strings.ToUpper(a[1][:1]) + a[1][1:] + b[1]
}

// codeKey folds a unit code into an integer for hashing.
func codeKey(code string) uint64 {
	var k uint64
	for i := 0; i < len(code); i++ {
		k = k*31 + uint64(code[i])
	}
	return k
}

// streetKind: the first quarter of a county's streets are urban
// subdistricts (街道), the rest towns (镇) and a few townships (乡).
func (p *Province) streetKind(i int) int {
	par := int(p.lv[lvStreet].parent[i])
	first, end := int(p.lv[lvStreet].first[par]), int(p.lv[lvStreet].first[par+1])
	switch {
	case i-first < max(1, (end-first+3)/4):
		return 0
	case hash(p.seed, 6, uint64(i))%5 == 0:
		return 2
	}
	return 1
}

// name returns the names of unit k of level l.
func (p *Province) name(l, k int) (zh, en string) {
	rank := k
	parent := ProvinceCode
	if l > lvCity {
		par := int(p.lv[l].parent[k])
		rank = k - int(p.lv[l].first[par])
		parent = p.code(l-1, par)
	}
	switch l {
	case lvCity:
		if k < len(cities) {
			return cities[k][0], cities[k][1] + " City"
		}
		zh, en = p.placeName(parent, rank)
		return zh + "市", en + " City"
	case lvCounty:
		zh, en = p.placeName(parent, rank)
		par := int(p.lv[l].parent[k])
		n := int(p.lv[l].first[par+1] - p.lv[l].first[par])
		switch {
		case rank < max(1, n/3):
			return zh + "区", en + " District"
		case n >= 3 && rank == n-1:
			return zh + "市", en + " City"
		}
		return zh + "县", en + " County"
	case lvStreet:
		zh, en = p.placeName(parent, rank)
		switch p.streetKind(k) {
		case 0:
			return zh + "街道", en + " Subdistrict"
		case 1:
			return zh + "镇", en + " Town"
		}
		return zh + "乡", en + " Township"
	case lvCommunity:
		zh, en = p.placeName(parent, rank)
		if p.streetKind(int(p.lv[l].parent[k])) == 0 || rank < 2 {
			return zh + "社区", en + " Community"
		}
		return zh + "村", en + " Village"
	}
	czh, cen := p.name(lvCommunity, int(p.lv[l].parent[k]))
	zh = czh + "第" + strconv.Itoa(rank+1) + "网格"
	en = cen + " Grid " + strconv.Itoa(rank+1)
	if e := p.exclusive(k); e >= 0 {
		zh += "（" + institutions[e][0] + "专属网格）"
		en += " (" + institutions[e][1] + ", exclusive)"
	}
	return zh, en
}

// exclusive returns which institution grid g is the exclusive grid (专属网格)
// of, or -1 for a comprehensive grid: about 2 % of grids.
func (p *Province) exclusive(g int) int {
	h := hash(p.seed, 7, uint64(g))
	if h%50 != 0 {
		return -1
	}
	return int((h >> 20) % uint64(len(institutions)))
}

package demo

import (
	"strings"

	"github.com/wangge/wangge"
)

// surnames are common surnames, the most frequent first (pickSurname skews
// towards the front), with the surnames typical of southern Jiangxi (曾, 温,
// 赖, 廖, 邱, 揭, 危) included so the registry reads like Ningdu's.
var surnames = []string{
	"黄", "曾", "刘", "王", "李", "陈", "张", "温", "赖", "廖",
	"邱", "彭", "杨", "钟", "罗", "谢", "吴", "周", "胡", "郭",
	"林", "肖", "朱", "徐", "孙", "何", "高", "梁", "宋", "唐",
	"许", "韩", "邓", "曹", "袁", "潘", "蒋", "蔡", "余", "杜",
	"叶", "程", "魏", "丁", "任", "沈", "姚", "卢", "姜", "崔",
	"谭", "陆", "汪", "范", "金", "石", "贾", "夏", "付", "方",
	"白", "邹", "孟", "熊", "秦", "江", "尹", "薛", "段", "雷",
	"侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "龚", "邵",
	"万", "钱", "严", "戴", "孔", "汤", "揭", "危", "邬", "管",
}

// givenChars end every fake name: surname + "演示" + one of these. None is a
// digit, and "演示" (demo) in the middle makes the names impossible to take
// for real people.
var givenChars = []string{
	"甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸",
	"春", "夏", "秋", "冬", "梅", "兰", "竹", "菊", "松", "柏",
	"山", "川", "河", "海", "云", "霞", "星", "月", "风", "雨",
	"雪", "霜", "明", "华", "强", "伟", "芳", "娟", "敏", "静",
	"丽", "军", "平", "刚", "桂", "英", "秀", "珍", "玉", "红",
	"林", "森", "涛", "波", "燕", "鹏", "霖", "晨", "曦", "宁",
	"安", "康", "乐", "欣",
}

// roads are street names for the standard addresses; each community draws a
// few of them.
var roads = []string{
	"中山南路", "中山北路", "胜利西路", "博生西路", "翠微路", "永宁路",
	"龙溪路", "崇文路", "邦士路", "文乡路", "虔化路", "观露路",
	"易堂路", "红山岭路", "雪竹路", "五贤路", "东平路", "梅江大道",
	"建设路", "解放路", "环城路", "西门街", "南门街", "北门路",
	"竹坝路", "宁师路", "滨江路", "学前路", "东山坝路", "金盆路",
}

// communityEN gives the English names of the 21 communities of 梅江镇, keyed
// by the short Chinese name. An unknown community falls back to
// "Community n".
var communityEN = map[string]string{
	"中山南路社区": "Zhongshan South Road Community",
	"中山北路社区": "Zhongshan North Road Community",
	"城南社区":   "Chengnan Community",
	"城北社区":   "Chengbei Community",
	"江东社区":   "Jiangdong Community",
	"金盆社区":   "Jinpen Community",
	"胜利西路社区": "Shengli West Road Community",
	"博生西路社区": "Bosheng West Road Community",
	"翠微社区":   "Cuiwei Community",
	"永宁社区":   "Yongning Community",
	"龙溪社区":   "Longxi Community",
	"崇文社区":   "Chongwen Community",
	"邦士路社区":  "Bangshi Road Community",
	"文乡社区":   "Wenxiang Community",
	"虔化社区":   "Qianhua Community",
	"观露社区":   "Guanlu Community",
	"易堂社区":   "Yitang Community",
	"红山岭社区":  "Hongshanling Community",
	"雪竹坪社区":  "Xuezhuping Community",
	"五贤社区":   "Wuxian Community",
	"东平社区":   "Dongping Community",
}

// shortName drops the committee suffix of a division name, so that
// "中山南路社区居委会" becomes "中山南路社区", the name residents use.
func shortName(name string) string {
	name = strings.TrimSpace(name)
	for _, suf := range []string{"居民委员会", "居委会"} {
		if s, ok := strings.CutSuffix(name, suf); ok && s != "" {
			return s
		}
	}
	if s, ok := strings.CutSuffix(name, "村民委员会"); ok && s != "" {
		return s + "村"
	}
	if s, ok := strings.CutSuffix(name, "村委会"); ok && s != "" {
		return s + "村"
	}
	return name
}

// institution is what an exclusive grid (专属网格) is drawn around.
type institution struct {
	zh, en string
	use    string // the Building.Use of the institution's own building
}

// institutions are the exclusive grids of the demo; the names are invented.
var institutions = []institution{
	{"梅江第一小学", "Meijiang No. 1 Primary School", "public"},
	{"翠微农贸市场", "Cuiwei Farmers' Market", "commercial"},
	{"县第二人民医院", "County No. 2 People's Hospital", "public"},
	{"县实验中学", "County Experimental Middle School", "public"},
	{"东门综合市场", "Dongmen General Market", "commercial"},
}

// departments are the 12 county departments cases are dispatched to. Codes
// are the usual pinyin initials of the short name.
var departments = []wangge.Department{
	{Code: "gaj", NameZH: "宁都县公安局", NameEN: "Ningdu County Public Security Bureau"},
	{Code: "cgj", NameZH: "宁都县城市管理局", NameEN: "Ningdu County Urban Management Bureau"},
	{Code: "mzj", NameZH: "宁都县民政局", NameEN: "Ningdu County Civil Affairs Bureau"},
	{Code: "scjgj", NameZH: "宁都县市场监督管理局", NameEN: "Ningdu County Market Supervision Administration"},
	{Code: "sthjj", NameZH: "宁都县生态环境局", NameEN: "Ningdu County Ecology and Environment Bureau"},
	{Code: "xfjy", NameZH: "宁都县消防救援大队", NameEN: "Ningdu County Fire and Rescue Brigade"},
	{Code: "swj", NameZH: "宁都县水务局", NameEN: "Ningdu County Water Affairs Bureau"},
	{Code: "gdgs", NameZH: "国网宁都县供电公司", NameEN: "State Grid Ningdu County Power Supply Company"},
	{Code: "zjj", NameZH: "宁都县住房和城乡建设局", NameEN: "Ningdu County Housing and Urban-Rural Development Bureau"},
	{Code: "sfj", NameZH: "宁都县司法局", NameEN: "Ningdu County Justice Bureau"},
	{Code: "wjw", NameZH: "宁都县卫生健康委员会", NameEN: "Ningdu County Health Commission"},
	{Code: "jtj", NameZH: "宁都县交通运输局", NameEN: "Ningdu County Transport Bureau"},
}

// Ethnic groups of the registry with their share in ‰; the rest is 汉族.
// 畲族 villages exist around Ningdu, hence the larger share.
var ethnicities = []struct {
	name     string
	permille int
}{
	{"畲族", 8},
	{"回族", 4},
	{"壮族", 3},
}

package wangge_test

import (
	"testing"

	"github.com/wangge/wangge"
)

func TestMaskText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"路灯不亮，已三天", "路灯不亮，已三天"},
		{"联系人王女士13812345678", "联系人王女士138****5678"},
		{"电话 138 1234 5678 请回电", "电话 138 **** 5678 请回电"},
		{"电话138-1234-5678", "电话138-****-5678"},
		{"全角１３８１２３４５６７８", "全角１３８****５６７８"},
		{"身份证号110105199003071234", "身份证号110***********1234"},
		{"身份证11010519900307123X。", "身份证110***********123X。"},
		{"老身份证110105900307123", "老身份证110********7123"},
		{"座机0797-6821234", "座机****-***1234"},
		{"座机6821234或68212345", "座机***1234或****2345"},
		{"2 13812345678", "2 138****5678"},
		// What stays: dates, amounts, house numbers, case numbers, codes.
		{"2025-11-03 下午", "2025-11-03 下午"},
		{"案件360730-20251103-000001已结", "案件360730-20251103-000001已结"},
		{"欠薪12000元，3号楼1201室", "欠薪12000元，3号楼1201室"},
		{"车牌浙A1234567", "车牌浙A1234567"},
		{"订单号A12345678901", "订单号A12345678901"},
		{"tel:+86 13812345678", "tel:+86 138****5678"},
	} {
		if got := wangge.MaskText(tc.in); got != tc.want {
			t.Errorf("MaskText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func BenchmarkMaskText(b *testing.B) {
	plain := "小区门口垃圾堆放三天无人清理，影响通行，请尽快处理。"
	phone := "小区门口垃圾堆放三天无人清理，联系人王女士13812345678。"
	b.Run("no number", func(b *testing.B) {
		for range b.N {
			wangge.MaskText(plain)
		}
	})
	b.Run("a phone", func(b *testing.B) {
		for range b.N {
			wangge.MaskText(phone)
		}
	})
}

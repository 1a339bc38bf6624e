package gen_test

import (
	"testing"

	"github.com/wangge/wangge"
)

func BenchmarkCase(b *testing.B) {
	p := mustProvince(b, 1, 10000)
	g := mustCases(b, p, 1, 1_000_000)
	var c wangge.Case
	b.ResetTimer()
	for i := range b.N {
		g.Case(i%1_000_000, &c)
	}
}

func BenchmarkUnit(b *testing.B) {
	p := mustProvince(b, 1, 10000)
	var u wangge.Unit
	b.ResetTimer()
	for i := range b.N {
		p.Unit(i%p.NumUnits(), &u)
	}
}

package geo

import (
	"syscall"
	"unsafe"
)

// Linux madvise advice values; the syscall package predates MADV_COLLAPSE.
const (
	madvHugepage = 14
	madvCollapse = 25
)

// adviseHuge asks Linux to back s with 2 MiB pages. A query lands at a
// random place in arrays of hundreds of megabytes, so with 4 KiB pages
// nearly every lookup also misses the TLB, and under virtualisation a TLB
// miss costs about as much as the memory access itself. MADV_COLLAPSE (Linux
// 6.1) converts the pages already written; on older kernels, or when huge
// pages are disabled, the calls fail and nothing changes. The Go heap does
// not move objects, so the advice stays with the slice.
func adviseHuge[T any](s []T) {
	if len(s) == 0 {
		return
	}
	const huge = 2 << 20
	p := unsafe.Pointer(&s[0])
	size := uintptr(len(s)) * unsafe.Sizeof(s[0])
	skip := (huge - uintptr(p)%huge) % huge
	if size <= skip {
		return
	}
	n := (size - skip) &^ (huge - 1)
	if n == 0 {
		return
	}
	mem := unsafe.Slice((*byte)(unsafe.Add(p, skip)), n)
	_ = syscall.Madvise(mem, madvHugepage)
	_ = syscall.Madvise(mem, madvCollapse)
}

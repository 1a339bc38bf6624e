//go:build !linux

package geo

// adviseHuge is a no-op where we do not know how to ask for huge pages.
func adviseHuge[T any](s []T) {}

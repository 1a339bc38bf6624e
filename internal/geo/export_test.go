package geo

// CellLines returns the lines of the cells and sub-cells of ix so that
// external tests can probe points lying exactly on them, where rounding bugs
// would hide.
func CellLines(ix *Index) (xs, ys []float64) {
	if ix.nx == 0 {
		return nil, nil
	}
	for i := 0; i < ix.nx; i++ {
		l, r := ix.colX(i), ix.colX(i+1)
		for k := range subCells {
			xs = append(xs, l+float64(k)*(r-l)/subCells)
		}
	}
	for j := 0; j < ix.ny; j++ {
		b, t := ix.rowY(j), ix.rowY(j+1)
		for k := range subCells {
			ys = append(ys, b+float64(k)*(t-b)/subCells)
		}
	}
	return append(xs, ix.colX(ix.nx)), append(ys, ix.rowY(ix.ny))
}

// Package geo is the geography adapter: coordinate systems used by Chinese map
// providers, GeoJSON boundaries, planar geometry and the in-memory index that
// answers "which units contain this point".
//
// # Boundary rule
//
// Containment is decided by casting a ray from the point towards +X and
// counting edge crossings, even-odd, with a half-open rule: an edge counts
// when exactly one of its end points lies strictly above the point
// ((a.Y > p.Y) != (b.Y > p.Y)) and the point lies strictly to the left of
// the edge. That is the same as asking whether the point nudged an
// infinitesimal step right (and an even smaller step up) is inside, so a
// point on an edge shared by two adjacent polygons belongs to exactly one of
// them: the polygon on its right, or the one above for a horizontal edge. A
// point on the right or top boundary of the whole area belongs to nothing.
//
// "Strictly left" is an exact orientation test (a floating-point filter with
// an exact rational fallback) on the edge's end points taken in a fixed
// order, never a rounded intersection abscissa: two polygons sharing an edge
// must agree bit for bit on which side a point lies, whichever way each walks
// the edge, and the Index relies on the same exactness to give exactly the
// answers of a plain scan.
package geo

// Point is a position in degrees: X is longitude, Y is latitude.
type Point struct{ X, Y float64 }

// Ring is a closed linear ring; the last point equals the first.
type Ring []Point

// Polygon is an outer ring followed by zero or more holes.
type Polygon []Ring

// MultiPolygon is a set of polygons, the shape of every unit boundary.
type MultiPolygon []Polygon

// BBox is an axis-aligned box: MinX, MinY, MaxX, MaxY.
type BBox struct{ MinX, MinY, MaxX, MaxY float64 }

// CRS names a coordinate reference system a point can arrive in.
type CRS string

// Coordinate systems. WGS84 (equivalently CGCS2000 at map precision) is the
// canonical one; GCJ-02 is used by Amap, Tencent and WeChat maps, BD-09 by Baidu.
const (
	WGS84 CRS = "wgs84"
	GCJ02 CRS = "gcj02"
	BD09  CRS = "bd09"
)

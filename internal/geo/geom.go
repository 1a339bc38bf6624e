// Package geo is the geography adapter: coordinate systems used by Chinese map
// providers, GeoJSON boundaries, planar geometry and the in-memory index that
// answers "which units contain this point".
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

// Package territory answers "which units contain this point" from memory:
// one spatial index per level of the tree, built from the current unit
// boundaries and swapped atomically when they change.
//
// The indexes are kept in shards: one for the units at county level and
// above (and any unit under no county), one for the units below each
// county. A change rebuilds only the shards whose units changed, so an
// edit to a grid of a province of a million grids rebuilds its county's
// ten thousand, not everything, and a build never holds more than one
// shard's garbage.
package territory

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
	"github.com/wangge/wangge/internal/sqlstore"
)

// Hit is one unit of a located point's chain.
type Hit struct {
	ID     int64        `json:"id"`
	Code   string       `json:"code"`
	Level  wangge.Level `json:"level"`
	NameZH string       `json:"name_zh"`
	NameEN string       `json:"name_en,omitempty"`
}

type snapshot struct {
	top      *shard            // county level and above, and units under no county
	counties map[string]*shard // county code → the units below it
	sig      string
	built    time.Time
	shapes   int
}

// shard is the indexes of part of the tree, top level first, with a hash
// of the IDs of the units it was built from: a shard whose units have the
// same IDs is unchanged, since a revision gives a unit a new ID.
type shard struct {
	levels []levelIndex
	sum    uint64
}

// idSum hashes IDs (FNV-1a over their bytes) after sorting them.
func idSum(ids []int64) uint64 {
	slices.Sort(ids)
	h := uint64(14695981039346656037)
	for _, id := range ids {
		for k := 0; k < 64; k += 8 {
			h = (h ^ uint64(byte(id>>k))) * 1099511628211
		}
	}
	return h ^ uint64(len(ids))
}

// levelIndex answers for one level. The index's item IDs are positions in
// units, so that a hit costs no lookup in a map: at a million grids a map
// from unit ID to Hit took 230 MB, this table about a third of that.
type levelIndex struct {
	level wangge.Level
	ix    *geo.Index
	units unitTable
}

// unitTable holds the units of a level in one string: unit i's code,
// Chinese and English names, separated by NUL bytes, end at ends[i].
type unitTable struct {
	ids  []int64
	ends []uint32
	text string
}

func (t *unitTable) hit(i int, level wangge.Level) Hit {
	from := uint32(0)
	if i > 0 {
		from = t.ends[i-1]
	}
	s := t.text[from:t.ends[i]]
	code, rest, _ := strings.Cut(s, "\x00")
	zh, en, _ := strings.Cut(rest, "\x00")
	return Hit{ID: t.ids[i], Code: code, Level: level, NameZH: zh, NameEN: en}
}

// code is unit i's code.
func (t *unitTable) code(i int) string {
	from := uint32(0)
	if i > 0 {
		from = t.ends[i-1]
	}
	c, _, _ := strings.Cut(t.text[from:t.ends[i]], "\x00")
	return c
}

// find looks a code up by binary search: the table is in the database's
// code order, which for codes of digits is byte order (a code the search
// misses in another order is simply not found).
func (t *unitTable) find(code string) (int, bool) {
	i := sort.Search(len(t.ids), func(i int) bool { return t.code(i) >= code })
	return i, i < len(t.ids) && t.code(i) == code
}

// levelBuild is one level of a rebuild in progress.
type levelBuild struct {
	ix   *geo.IndexBuilder
	ids  []int64
	ends []uint32
	text strings.Builder
}

func (b *levelBuild) add(s sqlstore.UnitShape, mp geo.MultiPolygon) {
	b.ix.Add(int64(len(b.ids)), mp)
	b.ids = append(b.ids, s.ID)
	b.text.WriteString(s.Code)
	b.text.WriteByte(0)
	b.text.WriteString(s.NameZH)
	b.text.WriteByte(0)
	b.text.WriteString(s.NameEN)
	b.ends = append(b.ends, uint32(b.text.Len()))
}

// Locator holds the current snapshot; lookups never block on a rebuild.
type Locator struct {
	db   *sqlstore.DB
	cur  atomic.Pointer[snapshot]
	mu   sync.Mutex // one rebuild at a time
	poke chan struct{}
	// rebuilt is how many shards the last rebuild built (tests).
	rebuilt int
	Logger  *slog.Logger
}

// New returns a locator over db; call Rebuild before the first lookup.
func New(db *sqlstore.DB) *Locator {
	l := &Locator{db: db, Logger: slog.Default(), poke: make(chan struct{}, 1)}
	l.cur.Store(&snapshot{counties: map[string]*shard{}})
	return l
}

// Rebuild brings the indexes up to date with the current boundaries,
// unless the units have not changed since the last build; force rebuilds
// every shard.
func (l *Locator) Rebuild(ctx context.Context, force bool) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	sig, err := l.db.UnitsSignature(ctx)
	if err != nil {
		return fmt.Errorf("locator: %w", err)
	}
	old := l.cur.Load()
	if !force && sig == old.sig {
		return nil
	}
	start := time.Now()
	// Which units each shard holds now. In code order a county comes right
	// before its subtree, so the county of a unit is the last county seen,
	// if the unit lies under it.
	top := []int64{}
	counties := map[string][]int64{}
	county, orphans := "", false
	err = l.db.CurrentUnitKeys(ctx, func(id int64, code string, level wangge.Level) error {
		switch {
		case level == wangge.LevelCounty:
			county = code
			top = append(top, id)
		case county != "" && wangge.InSubtree(code, county) && level.Rank() > wangge.LevelCounty.Rank():
			counties[county] = append(counties[county], id)
		default:
			top = append(top, id)
			orphans = orphans || level.Rank() > wangge.LevelCounty.Rank()
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("locator: %w", err)
	}
	snap := &snapshot{sig: sig, counties: make(map[string]*shard, len(counties))}
	rebuilt := 0
	keep := func(was *shard, ids []int64) bool {
		return !force && was != nil && was.sum == idSum(ids)
	}
	if keep(old.top, top) {
		snap.top = old.top
	} else {
		inTop := make(map[int64]bool, len(top))
		for _, id := range top {
			inTop[id] = true
		}
		// Normally the top shard is the units of county level and above,
		// which an index finds; units under no county need a full look.
		f := sqlstore.ShapeFilter{Levels: []wangge.Level{wangge.LevelProvince, wangge.LevelCity, wangge.LevelCounty}}
		if orphans {
			f.Levels = nil
		}
		if snap.top, err = l.build(ctx, f, func(s *sqlstore.UnitShape) bool { return inTop[s.ID] }, idSum(top)); err != nil {
			return err
		}
		rebuilt++
	}
	for _, c := range slices.Sorted(maps.Keys(counties)) {
		ids := counties[c]
		if keep(old.counties[c], ids) {
			snap.counties[c] = old.counties[c]
			continue
		}
		// The county's own row, first in its range, is the top shard's.
		notCounty := func(s *sqlstore.UnitShape) bool { return s.Code != c }
		if snap.counties[c], err = l.build(ctx, sqlstore.ShapeFilter{From: c, To: wangge.CodeUpperBound(c)}, notCounty, idSum(ids)); err != nil {
			return err
		}
		rebuilt++
	}
	held := snap.top.bytes()
	snap.shapes = snap.top.size()
	for _, sh := range snap.counties {
		snap.shapes += sh.size()
		held += sh.bytes()
	}
	snap.built = time.Now()
	l.cur.Store(snap)
	l.rebuilt = rebuilt
	if rebuilt > 0 {
		// A build leaves about as much garbage as the index it made (parsed
		// shapes, the flattened copy, the sweep's buffers): return it to the
		// system now rather than carry it until the heap doubles again.
		debug.FreeOSMemory()
	}
	l.Logger.Info("locator built", "units", snap.shapes, "shards", 1+len(snap.counties), "rebuilt", rebuilt,
		"held_mb", held>>20, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// build reads the shapes f selects that want accepts and indexes them by
// level. Each shape is flattened into its level's builder as it is read,
// so that the parsed shapes are never all held at once.
func (l *Locator) build(ctx context.Context, f sqlstore.ShapeFilter, want func(s *sqlstore.UnitShape) bool, sum uint64) (*shard, error) {
	builds := map[wangge.Level]*levelBuild{}
	err := l.db.CurrentShapes(ctx, f, func(s sqlstore.UnitShape) error {
		if !want(&s) {
			return nil
		}
		mp, err := geo.ParseGeometry([]byte(s.Boundary))
		if err != nil {
			// A stored boundary was validated on the way in; skip rather than
			// take the whole lookup down, and say so.
			l.Logger.Warn("locator: unreadable boundary", "unit", s.Code, "err", err)
			return nil
		}
		b := builds[s.Level]
		if b == nil {
			b = &levelBuild{ix: geo.NewIndexBuilder(0, 0)}
			builds[s.Level] = b
		}
		b.add(s, mp)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("locator: %w", err)
	}
	sh := &shard{sum: sum}
	for _, lv := range wangge.Levels {
		b := builds[lv]
		if b == nil {
			continue
		}
		delete(builds, lv) // the builder's buffers go as soon as the level is built
		ix := b.ix.Build()
		sh.levels = append(sh.levels, levelIndex{lv, ix, unitTable{ids: b.ids, ends: b.ends, text: b.text.String()}})
	}
	return sh, nil
}

func (sh *shard) size() int {
	n := 0
	for _, li := range sh.levels {
		n += len(li.units.ids)
	}
	return n
}

// bytes is the memory the shard holds: its indexes and its unit tables.
func (sh *shard) bytes() int {
	n := 0
	for _, li := range sh.levels {
		n += li.ix.SizeBytes() + 8*cap(li.units.ids) + 4*cap(li.units.ends) + len(li.units.text)
	}
	return n
}

// Locate returns the chain of units containing p (WGS84), top level first.
func (l *Locator) Locate(p geo.Point) []Hit {
	snap := l.cur.Load()
	if snap.top == nil {
		return nil
	}
	out := make([]Hit, 0, 8)
	var below *shard
	for _, li := range snap.top.levels {
		if i, ok := li.ix.Locate(p); ok {
			h := li.units.hit(int(i), li.level)
			out = append(out, h)
			if h.Level == wangge.LevelCounty && below == nil {
				below = snap.counties[h.Code]
			}
		}
	}
	if below == nil {
		return out
	}
	fromTop := len(out)
	for _, li := range below.levels {
		if i, ok := li.ix.Locate(p); ok {
			out = append(out, li.units.hit(int(i), li.level))
		}
	}
	// A unit under no county lies below county level but was found in the
	// top shard: put the chain back in level order.
	if fromTop < len(out) && out[fromTop-1].Level.Rank() > out[fromTop].Level.Rank() {
		sort.SliceStable(out, func(i, j int) bool { return out[i].Level.Rank() < out[j].Level.Rank() })
	}
	return out
}

// Name returns the names of a unit with a boundary as of the last
// rebuild, from memory: the statistics name their groups with it (a
// county's 2,865 communities took 17 ms to name from the database).
func (l *Locator) Name(code string) (zh, en string, ok bool) {
	snap := l.cur.Load()
	search := func(sh *shard) bool {
		for _, li := range sh.levels {
			if i, found := li.units.find(code); found {
				h := li.units.hit(i, li.level)
				zh, en, ok = h.NameZH, h.NameEN, true
				return true
			}
		}
		return false
	}
	for n := len(code) - 1; n > 0; n-- {
		if sh := snap.counties[code[:n]]; sh != nil {
			if search(sh) {
				return
			}
			break
		}
	}
	if snap.top != nil {
		search(snap.top)
	}
	return
}

// Len returns how many unit shapes are indexed.
func (l *Locator) Len() int { return l.cur.Load().shapes }

// Poke asks Watch to check for changed units now instead of at its next
// tick: another server has said that they changed. Pokes that arrive while
// a check is pending or running make one more check, not one each.
func (l *Locator) Poke() {
	select {
	case l.poke <- struct{}{}:
	default:
	}
}

// Watch rebuilds whenever the units change, checking every interval and
// when poked, until ctx ends. It is how several servers on one database
// pick up each other's boundary edits.
func (l *Locator) Watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-l.poke:
		}
		if err := l.Rebuild(ctx, false); err != nil && ctx.Err() == nil {
			l.Logger.Warn("locator rebuild", "err", err)
		}
	}
}

// Package catalogue holds Wangge's default case catalogue and grid duty list,
// and reads the catalogues that counties supply in their place as JSON.
package catalogue

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/wangge/wangge"
)

// defaultJSON is the default catalogue. Category codes are grouped by kind so
// that an operator can tell a case's kind from its code: events 01–09
// (GB/T 30428.2 event classes, 06 is a local extension for pollution),
// facilities 10–19 (GB/T 30428.2 部件 classes), disputes 20–29, hazards
// 30–39, services 40–49. The duty items D01–D51 follow the size and shape of
// published county lists (51 items in nine groups).
//
//go:embed default.json
var defaultJSON []byte

// MaxSize is the largest document Parse reads. A county catalogue is tens of
// kilobytes; a document near this size is a mistake, and reading it whole
// into memory should not be something an upload can abuse.
const MaxSize = 4 << 20

var parseDefault = sync.OnceValues(func() (*wangge.Catalogue, error) {
	return Parse(bytes.NewReader(defaultJSON))
})

// Default returns the default catalogue of a county. The embedded document
// is parsed once; every call returns a fresh deep copy, so a caller that
// edits its copy (a county adjusting limits before saving its own catalogue)
// cannot change what the next caller gets.
func Default() *wangge.Catalogue {
	cat, err := parseDefault()
	if err != nil {
		// The document is compiled in and checked by the tests, so a
		// failure here is a build defect, not something to handle at run time.
		panic("catalogue: embedded default.json is invalid: " + err.Error())
	}
	return Clone(cat)
}

// Parse reads a catalogue from JSON and validates it. Decoding is strict: an
// unknown or misspelt field, a duplicate key, a value of the wrong type or
// data after the document is an error, because a county's edit that the
// decoder silently drops would leave a limit or a routing different from
// what the county believes it set. The result is then checked with
// Catalogue.Validate (without department codes, which belong to a
// deployment; call Validate again with them) and a few checks of this
// package. Errors about the document are wangge errors (code invalid, or
// too_large past MaxSize) whose fields name the path at fault, such as
// "categories[12].limits.handle.unit"; an error reading r is returned
// wrapped.
func Parse(r io.Reader) (*wangge.Catalogue, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read catalogue: %w", err)
	}
	if len(data) > MaxSize {
		return nil, wangge.Errorf(wangge.ETOOLARGE, "a catalogue is at most %d bytes", MaxSize)
	}
	// Windows editors often save UTF-8 with a byte order mark, which JSON
	// does not allow; a county clerk should not have to know that.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if err := checkShape(data); err != nil {
		return nil, err
	}
	var cat wangge.Catalogue
	if err := json.Unmarshal(data, &cat); err != nil {
		// checkShape admits only what Unmarshal accepts, so this is a bug
		// in checkShape; still report it as bad input rather than panic.
		return nil, wangge.Errorf(wangge.EINVALID, "catalogue: %v", err)
	}
	if err := validate(&cat); err != nil {
		return nil, err
	}
	return &cat, nil
}

// Urgencies a category may allow, from the least to the most pressing.
var urgencies = []string{"normal", "urgent", "critical"}

var steps = []struct {
	name  string
	limit func(*wangge.Limits) wangge.Limit
}{
	{"accept", func(l *wangge.Limits) wangge.Limit { return l.Accept }},
	{"dispatch", func(l *wangge.Limits) wangge.Limit { return l.Dispatch }},
	{"handle", func(l *wangge.Limits) wangge.Limit { return l.Handle }},
	{"verify", func(l *wangge.Limits) wangge.Limit { return l.Verify }},
}

// validate runs Catalogue.Validate and adds what it does not say: which step
// of the limits is wrong, unknown urgencies, and an empty catalogue, which
// would route every case nowhere.
func validate(cat *wangge.Catalogue) error {
	var v wangge.Validation
	if len(cat.Items) == 0 {
		v.Add("items", "the grid duty list is empty")
	}
	if len(cat.Categories) == 0 {
		v.Add("categories", "the catalogue has no categories")
	}
	for i := range cat.Categories {
		c := &cat.Categories[i]
		if !c.Leaf() {
			continue
		}
		f := fmt.Sprintf("categories[%d].", i)
		for _, s := range steps {
			l := s.limit(&c.Limits)
			p := f + "limits." + s.name
			switch {
			case l == wangge.Limit{}:
				v.Add(p, "missing")
			case l.Value <= 0 || l.Value > wangge.MaxLimit:
				v.Add(p+".value", "between 1 and 1000")
			case l.Unit != wangge.LimitHours && l.Unit != wangge.LimitDays && !l.Natural():
				v.Add(p+".unit", `"hours" (工作时), "days" (工作日), "natural_hours" (小时) or "natural_days" (自然日)`)
			}
		}
		seen := map[string]bool{}
		for j, u := range c.Urgencies {
			p := fmt.Sprintf("%surgencies[%d]", f, j)
			if !slices.Contains(urgencies, u) {
				v.Add(p, "one of normal, urgent, critical")
			} else if seen[u] {
				v.Add(p, "duplicate "+u)
			}
			seen[u] = true
		}
	}
	if err := cat.Validate(nil); err != nil {
		fields := wangge.ErrorFields(err)
		if len(fields) == 0 {
			return err
		}
		for f, problem := range fields {
			v.Add(f, problem)
		}
	}
	return v.Err()
}

// checkShape walks the document token by token against the Go types it will
// be decoded into, and reports the first departure with its path.
// encoding/json's DisallowUnknownFields would catch unknown fields, but its
// error does not say where they are, it matches names case-insensitively, and
// it lets a duplicate key overwrite the first silently.
func checkShape(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := walker{dec: dec, data: data}
	if err := w.value(reflect.TypeFor[wangge.Catalogue](), ""); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return wangge.Errorf(wangge.EINVALID, "catalogue: %s: unexpected data after the catalogue", w.position())
	}
	return nil
}

type walker struct {
	dec  *json.Decoder
	data []byte
}

// value consumes one JSON value that must fit type t; path names it.
func (w *walker) value(t reflect.Type, path string) error {
	tok, err := w.dec.Token()
	if err != nil {
		return w.syntax(path, err)
	}
	if tok == nil {
		// null leaves a Go value at its zero, which for a limit or a code
		// would pass for "not set"; only lists may be null (as marshalled
		// nil slices are).
		if t.Kind() == reflect.Slice {
			return nil
		}
		return w.wrong(path, t)
	}
	switch t.Kind() {
	case reflect.Struct:
		if tok != json.Delim('{') {
			return w.wrong(path, t)
		}
		fields := jsonFields(t)
		seen := map[string]bool{}
		for w.dec.More() {
			tok, err := w.dec.Token()
			if err != nil {
				return w.syntax(path, err)
			}
			key := tok.(string) // the decoder only yields strings as keys
			p := join(path, key)
			ft, ok := fields[key]
			if !ok {
				return wangge.FieldError(p, unknownField(key, fields))
			}
			if seen[key] {
				return wangge.FieldError(p, "given twice")
			}
			seen[key] = true
			if err := w.value(ft, p); err != nil {
				return err
			}
		}
		if _, err := w.dec.Token(); err != nil {
			return w.syntax(path, err)
		}
	case reflect.Slice:
		if tok != json.Delim('[') {
			return w.wrong(path, t)
		}
		for i := 0; w.dec.More(); i++ {
			if err := w.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		if _, err := w.dec.Token(); err != nil {
			return w.syntax(path, err)
		}
	case reflect.String:
		if _, ok := tok.(string); !ok {
			return w.wrong(path, t)
		}
	case reflect.Bool:
		if _, ok := tok.(bool); !ok {
			return w.wrong(path, t)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := tok.(json.Number)
		if !ok {
			return w.wrong(path, t)
		}
		if _, err := strconv.ParseInt(string(n), 10, t.Bits()); err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return wangge.FieldError(path, "number out of range")
			}
			return wangge.FieldError(path, "must be a whole number")
		}
	default:
		// The catalogue types hold only the kinds above; a new kind must be
		// taught here before it can be read.
		return wangge.Errorf(wangge.EINTERNAL, "catalogue: cannot check a %s at %s", t.Kind(), path)
	}
	return nil
}

func (w *walker) wrong(path string, t reflect.Type) error {
	want := map[reflect.Kind]string{
		reflect.Struct: "an object", reflect.Slice: "a list", reflect.String: "a string",
		reflect.Bool: "true or false",
	}[t.Kind()]
	if want == "" {
		want = "a whole number"
	}
	if path == "" {
		return wangge.Errorf(wangge.EINVALID, "catalogue: must be a JSON object")
	}
	return wangge.FieldError(path, "must be "+want)
}

func (w *walker) syntax(path string, err error) error {
	var se *json.SyntaxError
	off := w.dec.InputOffset()
	msg := err.Error()
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.Is(err, io.ErrUnexpectedEOF), err == io.EOF:
		off = int64(len(w.data))
		msg = "unexpected end of the document"
	}
	where := w.positionAt(off)
	if path == "" {
		return wangge.Errorf(wangge.EINVALID, "catalogue: %s: %s", where, msg)
	}
	return wangge.FieldError(path, where+": "+msg)
}

func (w *walker) position() string { return w.positionAt(w.dec.InputOffset()) }

// positionAt turns a byte offset into the line and column an editor shows.
func (w *walker) positionAt(off int64) string {
	off = min(max(off, 0), int64(len(w.data)))
	before := w.data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len([]rune(string(before[bytes.LastIndexByte(before, '\n')+1:]))) + 1
	return fmt.Sprintf("line %d, column %d", line, col)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields maps the JSON names of t's fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

func unknownField(key string, fields map[string]reflect.Type) string {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return fmt.Sprintf("unknown field; did you mean %q?", name)
		}
	}
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	return "unknown field; known here: " + strings.Join(names, ", ")
}

// Clone returns a deep copy of cat, so that the copy can be edited without
// touching the original. Clone of nil is nil.
func Clone(cat *wangge.Catalogue) *wangge.Catalogue {
	if cat == nil {
		return nil
	}
	out := &wangge.Catalogue{
		Items:      slices.Clone(cat.Items),
		Categories: slices.Clone(cat.Categories),
	}
	for i := range out.Categories {
		out.Categories[i].Urgencies = slices.Clone(out.Categories[i].Urgencies)
	}
	return out
}

// Lookup returns the category with the given code, major or minor. The
// result points into cat, so edits through it change cat.
func Lookup(cat *wangge.Catalogue, code string) (*wangge.Category, bool) {
	for i := range cat.Categories {
		if cat.Categories[i].Code == code {
			return &cat.Categories[i], true
		}
	}
	return nil, false
}

// Item returns the duty item with the given code, pointing into cat.
func Item(cat *wangge.Catalogue, code string) (*wangge.DutyItem, bool) {
	for i := range cat.Items {
		if cat.Items[i].Code == code {
			return &cat.Items[i], true
		}
	}
	return nil, false
}

// Leaves returns the minor categories, under which cases are filed, in
// catalogue order. The results point into cat.
func Leaves(cat *wangge.Catalogue) []*wangge.Category {
	var out []*wangge.Category
	for i := range cat.Categories {
		if cat.Categories[i].Leaf() {
			out = append(out, &cat.Categories[i])
		}
	}
	return out
}

// Departments returns the sorted department codes that cat's items and
// categories name, so that a deployment can check it has set up every
// department the catalogue routes cases to.
func Departments(cat *wangge.Catalogue) []string {
	set := map[string]bool{}
	for _, it := range cat.Items {
		if it.Department != "" {
			set[it.Department] = true
		}
	}
	for _, c := range cat.Categories {
		if c.Department != "" {
			set[c.Department] = true
		}
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// Index answers lookups on one catalogue in constant time, for callers that
// look up a category for every case they take in. It reflects the catalogue
// as it was when the index was built; build a new one after changing the
// catalogue's lists.
type Index struct {
	cat      *wangge.Catalogue
	category map[string]int
	item     map[string]int
	children map[string][]int
}

// NewIndex indexes cat. Results of the index point into cat. When codes
// repeat (which Validate rejects) the first one wins, as with Lookup.
func NewIndex(cat *wangge.Catalogue) *Index {
	x := &Index{
		cat:      cat,
		category: make(map[string]int, len(cat.Categories)),
		item:     make(map[string]int, len(cat.Items)),
		children: map[string][]int{},
	}
	for i, c := range cat.Categories {
		if _, dup := x.category[c.Code]; !dup {
			x.category[c.Code] = i
		}
		if c.Leaf() {
			x.children[c.Code[:2]] = append(x.children[c.Code[:2]], i)
		}
	}
	for i, it := range cat.Items {
		if _, dup := x.item[it.Code]; !dup {
			x.item[it.Code] = i
		}
	}
	return x
}

// Category returns the category with the given code.
func (x *Index) Category(code string) (*wangge.Category, bool) {
	i, ok := x.category[code]
	if !ok {
		return nil, false
	}
	return &x.cat.Categories[i], true
}

// Item returns the duty item with the given code.
func (x *Index) Item(code string) (*wangge.DutyItem, bool) {
	i, ok := x.item[code]
	if !ok {
		return nil, false
	}
	return &x.cat.Items[i], true
}

// Children returns the minor categories under a major one, in catalogue
// order, for pickers that show a major class and then its minors.
func (x *Index) Children(major string) []*wangge.Category {
	idx := x.children[major]
	out := make([]*wangge.Category, len(idx))
	for j, i := range idx {
		out[j] = &x.cat.Categories[i]
	}
	return out
}

// GridDuty reports whether cases of the category may be given to grid
// workers: it must be a minor category whose duty item is on the list and
// marked as a grid duty. This is the rule of the 准入清单: what is not on the
// list does not go to grid workers, however convenient that would be for a
// department.
func (x *Index) GridDuty(category string) bool {
	c, ok := x.Category(category)
	if !ok || !c.Leaf() {
		return false
	}
	it, ok := x.Item(c.Item)
	return ok && it.GridDuty
}

package sqlstore

import (
	"strings"

	"github.com/wangge/wangge"
)

// scopeWhere returns an SQL predicate restricting col (a unit code column)
// to the scope: the union of code ranges, one per root, each an index range.
// A scope with no roots matches nothing.
func scopeWhere(s wangge.Scope, col string) (string, []any) {
	if s.All {
		return "1=1", nil
	}
	if len(s.Roots) == 0 {
		return "1=0", nil
	}
	parts := make([]string, len(s.Roots))
	args := make([]any, 0, 2*len(s.Roots))
	for i, r := range s.Roots {
		parts[i] = col + " >= ? AND " + col + " < ?"
		args = append(args, r, wangge.CodeUpperBound(r))
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// where accumulates predicates and their arguments.
type where struct {
	preds []string
	args  []any
}

func (w *where) add(pred string, args ...any) {
	w.preds = append(w.preds, pred)
	w.args = append(w.args, args...)
}

func (w *where) String() string {
	if len(w.preds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.preds, " AND ")
}

// tagsText stores a tag list as ",a,b," so that one tag is LIKE '%,a,%'.
func tagsText(tags []string) string {
	if len(tags) == 0 {
		return ""
	}
	return "," + strings.Join(tags, ",") + ","
}

func tagsList(s string) []string {
	s = strings.Trim(s, ",")
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

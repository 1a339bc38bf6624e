package httpapi

import (
	"net/http"
	"time"

	"github.com/wangge/wangge"
)

type statsResponse struct {
	wangge.Stats
	Groups []wangge.Stats `json:"groups,omitempty"`
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := wangge.StatsFilter{Unit: q.Get("unit"), Category: q.Get("category"), GroupBy: q.Get("group_by")}
	for name, dst := range map[string]**time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			t, err := time.ParseInLocation("2006-01-02", v, wangge.ChinaTime)
			if err != nil {
				if t, err = time.Parse(time.RFC3339, v); err != nil {
					return wangge.FieldError(name, "a date (2006-01-02, China time) or an RFC 3339 time")
				}
			}
			*dst = &t
		}
	}
	var err error
	if f.UnitDepth, err = intParam(r, "unit_depth"); err != nil {
		return err
	}
	d, err := intParam(r, "department")
	if err != nil {
		return err
	}
	f.Department = int64(d)
	total, groups, err := s.DB.Stats(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, 200, statsResponse{total, groups})
	return nil
}

package httpapi

import (
	"net/http"

	"github.com/wangge/wangge/calendar"
	"github.com/wangge/wangge/internal/sqlstore"
)

// calendarList is every stored working calendar and what applies elsewhere.
type calendarList struct {
	// Default is the calendar of units with none stored above them.
	Default   calendar.Spec             `json:"default"`
	Calendars []sqlstore.StoredCalendar `json:"calendars"`
}

func (s *Server) listCalendars(w http.ResponseWriter, r *http.Request) error {
	list, err := s.DB.Calendars(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, calendarList{Default: calendar.Spec{Base: "cn"}, Calendars: list})
	return nil
}

func (s *Server) putCalendar(w http.ResponseWriter, r *http.Request) error {
	var spec calendar.Spec
	if err := decode(r, &spec); err != nil {
		return err
	}
	sc, err := s.DB.PutCalendar(r.Context(), r.PathValue("unit"), spec)
	if err != nil {
		return err
	}
	s.Cases.CalendarsChanged()
	writeJSON(w, http.StatusOK, sc)
	return nil
}

func (s *Server) deleteCalendar(w http.ResponseWriter, r *http.Request) error {
	if err := s.DB.DeleteCalendar(r.Context(), r.PathValue("unit")); err != nil {
		return err
	}
	s.Cases.CalendarsChanged()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

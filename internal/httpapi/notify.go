package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/wangge/wangge"
)

type readRequest struct {
	IDs []int64 `json:"ids"`
}

type webhookRequest struct {
	URL    string `json:"url"`
	Events string `json:"events,omitempty"` // "*" or comma-separated timeline actions
}

func (s *Server) inbox(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	ns, total, err := s.DB.Inbox(r.Context(), r.URL.Query().Get("unread") == "true", limit, offset)
	if err != nil {
		return err
	}
	writeJSON(w, 200, page[*wangge.Notification]{ns, total})
	return nil
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request) error {
	var req readRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if len(req.IDs) > 1000 {
		return wangge.FieldError("ids", "at most 1000 at a time")
	}
	if err := s.DB.MarkRead(r.Context(), req.IDs); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	hs, err := s.DB.Webhooks(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, 200, hs)
	return nil
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	var req webhookRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	h, err := s.DB.CreateWebhook(r.Context(), req.URL, req.Events)
	if err != nil {
		return err
	}
	writeJSON(w, 201, h)
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if err := s.DB.DeleteWebhook(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// stream sends the case events the viewer may see as Server-Sent Events,
// with a comment every 20 s so that proxies keep the connection open.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) error {
	flusher, ok := w.(http.Flusher)
	if !ok {
		return fmt.Errorf("stream: response writer cannot flush")
	}
	me := wangge.UserFromContext(r.Context())
	events, cancel := s.Cases.Broker.Subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(200)
	fmt.Fprint(w, ": connected\n\n")
	flusher.Flush()
	beat := time.NewTicker(20 * time.Second)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.closing:
			return nil
		case <-beat.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			flusher.Flush()
		case e, ok := <-events:
			if !ok {
				return nil
			}
			if !wangge.CanSee(me, e.Case) {
				continue
			}
			data, err := json.Marshal(e)
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "id: %d-%d\nevent: case\ndata: %s\n\n", e.Case.ID, e.Case.Version, data)
			flusher.Flush()
		}
	}
}

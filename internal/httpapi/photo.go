package httpapi

import (
	"io"
	"net/http"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/photo"
	"github.com/wangge/wangge/internal/sqlstore"
)

// uploadPhoto takes one image in the multipart field "photo" and attaches it
// to a case the caller may see.
func (s *Server) uploadPhoto(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	if s.Photos == nil {
		return wangge.Errorf(wangge.EINTERNAL, "photo storage is not configured")
	}
	if _, err := s.DB.Case(r.Context(), id); err != nil {
		return err
	}
	f, _, err := r.FormFile("photo")
	if err != nil {
		if _, tooBig := err.(*http.MaxBytesError); tooBig {
			return err
		}
		return wangge.FieldError("photo", "send the image as multipart form field \"photo\"")
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, photo.MaxSize+1))
	if err != nil {
		return err
	}
	saved, err := s.Photos.Put(data)
	if err != nil {
		return err
	}
	p := &sqlstore.Photo{SHA256: saved.SHA256, PublicSHA256: saved.PublicSHA256, Type: saved.Type, Size: saved.Size}
	if err := s.DB.AddPhoto(r.Context(), id, p); err != nil {
		return err
	}
	writeJSON(w, 201, p)
	return nil
}

func (s *Server) listPhotos(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	ps, err := s.DB.Photos(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, ps)
	return nil
}

// getPhoto serves a photo of a case the caller may see.
func (s *Server) getPhoto(w http.ResponseWriter, r *http.Request) error {
	sum := r.PathValue("sha")
	typ, err := s.DB.PhotoType(r.Context(), sum)
	if err != nil {
		return err
	}
	data, err := s.Photos.Open(sum)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "private, max-age=86400, immutable")
	_, err = w.Write(data)
	return err
}

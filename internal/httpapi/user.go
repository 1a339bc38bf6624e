package httpapi

import (
	"net/http"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/sqlstore"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Cookie asks for the session as an HttpOnly, SameSite=Lax cookie (the
	// web UI) instead of only a bearer token.
	Cookie bool `json:"cookie,omitempty"`
}

type loginResponse struct {
	Token     string       `json:"token,omitempty"`
	ExpiresAt time.Time    `json:"expires_at"`
	User      *wangge.User `json:"user"`
}

type userRequest struct {
	Username     string      `json:"username"`
	Name         string      `json:"name"`
	Password     string      `json:"password"`
	Role         wangge.Role `json:"role"`
	DepartmentID *int64      `json:"department_id,omitempty"`
	Units        []string    `json:"units"`
}

type assignmentsRequest struct {
	Units []string `json:"units"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	if !s.logins.allow(clientIP(r), time.Now()) {
		w.Header().Set("Retry-After", "60")
		return wangge.Errorf(wangge.EFORBIDDEN, "too many login attempts; wait a minute")
	}
	var req loginRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	kind := "api"
	if req.Cookie {
		kind = "web"
	}
	token, u, err := s.DB.Login(r.Context(), req.Username, req.Password, kind)
	if err != nil {
		return err
	}
	expires := s.DB.Now().Add(sqlstore.SessionTTL)
	resp := loginResponse{Token: token, ExpiresAt: expires, User: u}
	if req.Cookie {
		http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires,
			HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
		resp.Token = "" // a page's script has no use for it: the cookie carries it
	}
	writeJSON(w, 200, resp)
	return nil
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) error {
	if token, ok := bearer(r); ok {
		if err := s.DB.Logout(r.Context(), token); err != nil {
			return err
		}
	} else if c, err := r.Cookie(SessionCookie); err == nil {
		if err := s.DB.Logout(r.Context(), c.Value); err != nil {
			return err
		}
		http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, 200, wangge.UserFromContext(r.Context()))
	return nil
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	limit, offset, err := pageParams(r)
	if err != nil {
		return err
	}
	role := wangge.Role(r.URL.Query().Get("role"))
	if role != "" && !role.Valid() {
		return wangge.FieldError("role", "unknown role")
	}
	users, total, err := s.DB.Users(r.Context(), role, limit, offset)
	if err != nil {
		return err
	}
	writeJSON(w, 200, page[*wangge.User]{users, total})
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var req userRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	u := wangge.User{Username: req.Username, Name: req.Name, Role: req.Role, DepartmentID: req.DepartmentID, Units: req.Units}
	if u.Units == nil {
		u.Units = []string{}
	}
	if err := s.DB.CreateUser(r.Context(), &u, req.Password); err != nil {
		return err
	}
	writeJSON(w, 201, u)
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	return getOne(w, r, func(r *http.Request, id int64) (*wangge.User, error) { return s.DB.User(r.Context(), id) })
}

func (s *Server) setAssignments(w http.ResponseWriter, r *http.Request) error {
	id, err := idParam(r, "id")
	if err != nil {
		return err
	}
	var req assignmentsRequest
	if err := decode(r, &req); err != nil {
		return err
	}
	if err := s.DB.SetAssignments(r.Context(), id, req.Units); err != nil {
		return err
	}
	u, err := s.DB.User(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, 200, u)
	return nil
}

func (s *Server) listDepartments(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.DB.Departments(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, 200, ds)
	return nil
}

func (s *Server) createDepartment(w http.ResponseWriter, r *http.Request) error {
	var d wangge.Department
	if err := decode(r, &d); err != nil {
		return err
	}
	d.ID = 0
	if err := s.DB.CreateDepartment(r.Context(), &d); err != nil {
		return err
	}
	writeJSON(w, 201, d)
	return nil
}

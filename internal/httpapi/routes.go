package httpapi

import (
	"net/http"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/calendar"
	"github.com/wangge/wangge/internal/photo"
	"github.com/wangge/wangge/internal/sqlstore"
	"github.com/wangge/wangge/internal/territory"
)

// route is one endpoint: what it is, what it takes and answers (for the
// OpenAPI document), and its handler.
type route struct {
	Method, Path string
	Tag, Summary string
	Auth         bool  // a logged-in user is required
	MaxBody      int64 // request body limit; 0 means DefaultMaxBody
	Query        []param
	Body         any  // request body type, for the document
	Resp         any  // 2xx response body type
	Status       int  // success status; 0 means 200
	Stream       bool // answers text/event-stream
	h            func(http.ResponseWriter, *http.Request) error
}

type param struct{ Name, Type, Doc string }

var (
	pageQuery = []param{{"limit", "integer", "page size (default 50 or 100, at most 1000)"}, {"offset", "integer", "rows to skip"}}
	regQuery  = append([]param{{"unit", "string", "unit code: only this subtree"}, {"q", "string", "text search"}}, pageQuery...)
)

// routeTable lists every API route: the one place to look.
func (s *Server) routeTable() []route {
	return []route{
		{Method: "POST", Path: "/api/v1/auth/login", Tag: "auth", Summary: "Log in with a username and password; returns a bearer token",
			Body: loginRequest{}, Resp: loginResponse{}, h: s.login},
		{Method: "POST", Path: "/api/v1/auth/logout", Tag: "auth", Summary: "End the current session", Auth: true, Status: 204, h: s.logout},
		{Method: "GET", Path: "/api/v1/me", Tag: "auth", Summary: "The logged-in user", Auth: true, Resp: wangge.User{}, h: s.me},

		{Method: "GET", Path: "/api/v1/units", Tag: "territory", Summary: "List units in the caller's scope", Auth: true,
			Query: append([]param{{"level", "string", "province, city, county, street, community, grid, micro_grid or building"},
				{"parent", "string", "parent unit code"}, {"under", "string", "any unit in this subtree"}, {"q", "string", "name contains"},
				{"as_of", "string", "RFC 3339 time: the versions valid then"}}, pageQuery...),
			Resp: page[*wangge.Unit]{}, h: s.listUnits},
		{Method: "POST", Path: "/api/v1/units", Tag: "territory", Summary: "Create a unit (administrators)", Auth: true,
			Body: unitRequest{}, Resp: unitResponse{}, Status: 201, h: s.createUnit},
		{Method: "POST", Path: "/api/v1/units/import", Tag: "territory", Summary: "Import a GeoJSON FeatureCollection of units in one transaction (administrators)", Auth: true,
			MaxBody: 64 << 20, Query: []param{{"crs", "string", "wgs84 (default), gcj02 or bd09"}, {"level", "string", "level of features that do not say"}, {"parent", "string", "parent code of features that do not say"}},
			Body: map[string]any{}, Resp: importResponse{}, Status: 201, h: s.importUnits},
		{Method: "GET", Path: "/api/v1/units/{code}", Tag: "territory", Summary: "A unit with its boundary and ancestors", Auth: true, Resp: unitResponse{}, h: s.getUnit},
		{Method: "PUT", Path: "/api/v1/units/{code}", Tag: "territory", Summary: "Revise a unit: opens a new version, the old one stays in history (administrators)", Auth: true,
			MaxBody: 16 << 20, Body: unitRevision{}, Resp: unitResponse{}, h: s.reviseUnit},
		{Method: "DELETE", Path: "/api/v1/units/{code}", Tag: "territory", Summary: "Retire a unit and its subtree (first step of a split or merge; administrators)", Auth: true,
			Resp: retireResponse{}, h: s.retireUnit},
		{Method: "GET", Path: "/api/v1/units/{code}/versions", Tag: "territory", Summary: "Every version of a unit", Auth: true, Resp: []unitResponse{}, h: s.unitVersions},
		{Method: "POST", Path: "/api/v1/units/{code}/split", Tag: "territory", Summary: "Split a unit into sibling parts that cover it; its children move to the part containing them, open cases follow (administrators). Body: a GeoJSON FeatureCollection of the parts (properties name_zh, name_en, code), a list of parts, or {parts, note, crs}", Auth: true,
			MaxBody: 16 << 20, Query: []param{{"dry_run", "boolean", "true: check and plan only; nothing changes"}, {"crs", "string", "of the boundaries: wgs84 (default), gcj02 or bd09"}, {"note", "string", "why, for the history"}},
			Body: splitRequest{}, Resp: unitChangeResponse{}, h: s.splitUnit},
		{Method: "POST", Path: "/api/v1/units/merge", Tag: "territory", Summary: "Merge sibling units into one; their children move under it, open cases follow (administrators)", Auth: true,
			Query: []param{{"dry_run", "boolean", "true: check and plan only; nothing changes"}}, Body: mergeRequest{}, Resp: unitChangeResponse{}, h: s.mergeUnits},
		{Method: "GET", Path: "/api/v1/units/{code}/history", Tag: "territory", Summary: "The splits and merges a unit took part in, as predecessor, successor or moved descendant, oldest first", Auth: true,
			Resp: []*wangge.UnitChange{}, h: s.unitHistory},
		{Method: "GET", Path: "/api/v1/boundaries", Tag: "territory", Summary: "Boundaries as a GeoJSON FeatureCollection, for maps", Auth: true,
			Query: append([]param{{"level", "string", "unit level"}, {"under", "string", "subtree"},
				{"bbox", "string", "minLon,minLat,maxLon,maxLat (WGS84): only the units whose bounding box meets this box"}}, pageQuery...),
			Resp: featureCollection{}, h: s.boundaries},
		{Method: "GET", Path: "/api/v1/locate", Tag: "territory", Summary: "The chain of units containing a point (no login needed)",
			Query: []param{{"lat", "number", "latitude"}, {"lon", "number", "longitude"}, {"crs", "string", "wgs84 (default), gcj02 or bd09"}},
			Resp:  locateResponse{}, h: s.locate},

		{Method: "GET", Path: "/api/v1/buildings", Tag: "registry", Summary: "List buildings in scope", Auth: true, Query: regQuery, Resp: page[*wangge.Building]{}, h: s.listBuildings},
		{Method: "POST", Path: "/api/v1/buildings", Tag: "registry", Summary: "Register a building", Auth: true, Body: buildingRequest{}, Resp: wangge.Building{}, Status: 201, h: s.createBuilding},
		{Method: "GET", Path: "/api/v1/buildings/{id}", Tag: "registry", Summary: "A building", Auth: true, Resp: wangge.Building{}, h: s.getBuilding},
		{Method: "GET", Path: "/api/v1/households", Tag: "registry", Summary: "List households in scope", Auth: true,
			Query: append([]param{{"building", "integer", "building id"}, {"tag", "string", "household tag, e.g. rented"}}, regQuery...), Resp: page[*wangge.Household]{}, h: s.listHouseholds},
		{Method: "POST", Path: "/api/v1/households", Tag: "registry", Summary: "Register a household", Auth: true, Body: wangge.Household{}, Resp: wangge.Household{}, Status: 201, h: s.createHousehold},
		{Method: "GET", Path: "/api/v1/households/{id}", Tag: "registry", Summary: "A household", Auth: true, Resp: wangge.Household{}, h: s.getHousehold},
		{Method: "GET", Path: "/api/v1/persons", Tag: "registry", Summary: "List persons in scope, identifiers masked", Auth: true,
			Query: append([]param{{"household", "integer", "household id"}, {"tag", "string", "elderly_alone, left_behind, disabled, low_income, special"},
				{"care_tier", "string", "high_risk, key or general"}, {"visit_due", "string", "RFC 3339 time or 'now': next visit due by then"},
				{"id_number", "string", "exact ID number (found by keyed hash)"}, {"phone", "string", "exact phone"}}, regQuery...),
			Resp: page[*wangge.Person]{}, h: s.listPersons},
		{Method: "POST", Path: "/api/v1/persons", Tag: "registry", Summary: "Register a person (ID number validated, sex and birth date derived)", Auth: true,
			Body: personRequest{}, Resp: wangge.Person{}, Status: 201, h: s.createPerson},
		{Method: "GET", Path: "/api/v1/persons/{id}", Tag: "registry", Summary: "A person, identifiers masked", Auth: true, Resp: wangge.Person{}, h: s.getPerson},
		{Method: "POST", Path: "/api/v1/persons/{id}/reveal", Tag: "registry", Summary: "The full ID number or phone; writes an access log row", Auth: true,
			Body: revealRequest{}, Resp: revealResponse{}, h: s.reveal},
		{Method: "GET", Path: "/api/v1/persons/{id}/visits", Tag: "registry", Summary: "Visits to a person, newest first", Auth: true, Query: pageQuery, Resp: page[*wangge.Visit]{}, h: s.listVisits},
		{Method: "POST", Path: "/api/v1/persons/{id}/visits", Tag: "registry", Summary: "Record a visit; moves the next due date by care tier", Auth: true,
			Body: visitRequest{}, Resp: wangge.Visit{}, Status: 201, h: s.recordVisit},
		{Method: "GET", Path: "/api/v1/access-log", Tag: "registry", Summary: "Reveals of personal identifiers (administrators)", Auth: true,
			Query: append([]param{{"person", "integer", "person id"}}, pageQuery...), Resp: page[*sqlstore.AccessLogEntry]{}, h: s.accessLog},

		{Method: "POST", Path: "/api/v1/cases", Tag: "cases", Summary: "Report a case (grid worker, hotline operator on a caller's behalf, department); placed by its point or unit", Auth: true,
			Body: reportRequest{}, Resp: caseResponse{}, Status: 201, h: s.reportCase},
		{Method: "POST", Path: "/api/v1/public/reports", Tag: "public", Summary: "A resident reports a problem without an account (phone optional; limited per address); answers the case number and a tracking code",
			Body: publicReportRequest{}, Resp: publicReportResponse{}, Status: 201, h: s.publicReport},
		{Method: "GET", Path: "/api/v1/public/reports/{number}", Tag: "public", Summary: "Follow a reported case with its tracking code",
			Query: []param{{"code", "string", "the tracking code given at report time"}}, Resp: publicCaseView{}, h: s.publicTrack},
		{Method: "POST", Path: "/api/v1/public/reports/{number}/rate", Tag: "public", Summary: "Rate a closed case (1-5) with its tracking code",
			Body: publicRateRequest{}, Resp: publicCaseView{}, h: s.publicRate},
		{Method: "GET", Path: "/api/v1/cases", Tag: "cases", Summary: "List cases the caller may see, newest first", Auth: true,
			Query: append([]param{{"unit", "string", "unit subtree"}, {"status", "string", "comma-separated statuses"}, {"open", "boolean", "true: still open; false: done"},
				{"category", "string", "category code or major"}, {"department", "integer", "department id"}, {"light", "string", "green, yellow or red"},
				{"channel", "string", "intake channel"}, {"from", "string", "reported at or after (RFC 3339)"}, {"to", "string", "reported before"},
				{"mine", "boolean", "reported by me"}}, pageQuery...),
			Resp: page[*wangge.Case]{}, h: s.listCases},
		{Method: "GET", Path: "/api/v1/cases/{id}", Tag: "cases", Summary: "A case with the actions the caller may take now", Auth: true, Resp: caseResponse{}, h: s.getCase},
		{Method: "GET", Path: "/api/v1/cases/{id}/timeline", Tag: "cases", Summary: "Every transition of a case, oldest first", Auth: true, Resp: []*wangge.CaseEvent{}, h: s.caseTimeline},
		{Method: "POST", Path: "/api/v1/cases/{id}/actions", Tag: "cases", Summary: "Take an action on a case (accept, dispatch, start, finish, verify_ok, close, rate, escalate, ...)", Auth: true,
			Body: actionRequest{}, Resp: caseResponse{}, h: s.caseAction},
		{Method: "GET", Path: "/api/v1/stats", Tag: "cases", Summary: "Counts by status, closure rate (结案率) and on-time rate (按期结案率) of the cases reported in a unit subtree and period, from rollups", Auth: true,
			Query: []param{{"unit", "string", "unit subtree (default: the caller's scope)"}, {"from", "string", "first report day (2006-01-02, China time)"},
				{"to", "string", "day after the last"}, {"category", "string", "category code or major"}, {"department", "integer", "department id"},
				{"group_by", "string", "status (default), category, major, unit, children (the first level below the unit or scope that divides it), department or day"}, {"unit_depth", "integer", "with group_by=unit: code length, e.g. 12 for communities"}},
			Resp: statsResponse{}, h: s.stats},
		{Method: "GET", Path: "/api/v1/web/counts", Tag: "web", Summary: "Open and overdue cases of each unit at a depth under a unit, compact ([code, open, red] rows), for the command-centre map's counts", Auth: true,
			Query: []param{{"unit", "string", "unit subtree (default: the caller's scope)"}, {"unit_depth", "integer", "code length of the units counted, e.g. 12 for communities (required)"},
				{"from", "string", "first report day"}, {"to", "string", "day after the last"}, {"category", "string", "category code or major"}, {"department", "integer", "department id"}},
			Resp: unitCounts{}, h: s.webCounts},
		{Method: "POST", Path: "/api/v1/cases/{id}/photos", Tag: "cases", Summary: "Attach a photo (multipart field \"photo\": JPEG, PNG or WebP, at most 10 MB); the public copy has its location metadata removed", Auth: true,
			MaxBody: photo.MaxSize + 1<<20, Resp: sqlstore.Photo{}, Status: 201, h: s.uploadPhoto},
		{Method: "GET", Path: "/api/v1/cases/{id}/photos", Tag: "cases", Summary: "Photos of a case", Auth: true, Resp: []*sqlstore.Photo{}, h: s.listPhotos},
		{Method: "GET", Path: "/api/v1/photos/{sha}", Tag: "cases", Summary: "A photo's bytes, if it belongs to a case the caller may see", Auth: true, Stream: true, h: s.getPhoto},
		{Method: "GET", Path: "/api/v1/catalogue", Tag: "cases", Summary: "The case catalogue and the grid duty list", Auth: true, Resp: wangge.Catalogue{}, h: s.getCatalogue},
		{Method: "PUT", Path: "/api/v1/catalogue", Tag: "cases", Summary: "Replace or extend the catalogue (administrators)", Auth: true, MaxBody: 8 << 20,
			Body: wangge.Catalogue{}, Resp: wangge.Catalogue{}, h: s.putCatalogue},
		{Method: "GET", Path: "/api/v1/calendars", Tag: "cases", Summary: "Working calendars: the default and each unit's own (a case runs on the nearest one above its unit)", Auth: true,
			Resp: calendarList{}, h: s.listCalendars},
		{Method: "PUT", Path: "/api/v1/calendars/{unit}", Tag: "cases", Summary: "Set the working calendar of a unit's subtree: base cn plus local days, or zone, weekdays, hours, overrides and a start rule (administrators)", Auth: true,
			Body: calendar.Spec{}, Resp: sqlstore.StoredCalendar{}, h: s.putCalendar},
		{Method: "DELETE", Path: "/api/v1/calendars/{unit}", Tag: "cases", Summary: "Remove a unit's own calendar; its subtree falls back to the one above (administrators)", Auth: true,
			Status: 204, h: s.deleteCalendar},
		{Method: "PUT", Path: "/api/v1/routing/{category}", Tag: "cases", Summary: "Set which departments handle a category, by level and unit subtree (administrators)", Auth: true,
			Body: routingRequest{}, Resp: routingRequest{}, h: s.putRouting},

		{Method: "GET", Path: "/api/v1/inbox", Tag: "notifications", Summary: "Notifications for me, my department and my units, newest first", Auth: true,
			Query: append([]param{{"unread", "boolean", "only unread"}}, pageQuery...), Resp: page[*wangge.Notification]{}, h: s.inbox},
		{Method: "POST", Path: "/api/v1/inbox/read", Tag: "notifications", Summary: "Mark notifications as read", Auth: true, Body: readRequest{}, Status: 204, h: s.markRead},
		{Method: "GET", Path: "/api/v1/stream", Tag: "notifications", Summary: "Live case events I may see, as Server-Sent Events (event: case)", Auth: true, Stream: true, h: s.stream},
		{Method: "GET", Path: "/api/v1/webhooks", Tag: "notifications", Summary: "Outbound webhooks (administrators)", Auth: true, Resp: []*sqlstore.Webhook{}, h: s.listWebhooks},
		{Method: "POST", Path: "/api/v1/webhooks", Tag: "notifications", Summary: "Subscribe a URL to case events; deliveries are signed with the returned secret (X-Wangge-Signature: sha256=HMAC(secret, timestamp.body))", Auth: true,
			Body: webhookRequest{}, Resp: sqlstore.Webhook{}, Status: 201, h: s.createWebhook},
		{Method: "DELETE", Path: "/api/v1/webhooks/{id}", Tag: "notifications", Summary: "Remove a webhook and its pending deliveries", Auth: true, Status: 204, h: s.deleteWebhook},

		{Method: "GET", Path: "/api/v1/users", Tag: "people", Summary: "List users (administrators)", Auth: true,
			Query: append([]param{{"role", "string", "role"}}, pageQuery...), Resp: page[*wangge.User]{}, h: s.listUsers},
		{Method: "POST", Path: "/api/v1/users", Tag: "people", Summary: "Create a user (administrators)", Auth: true, Body: userRequest{}, Resp: wangge.User{}, Status: 201, h: s.createUser},
		{Method: "GET", Path: "/api/v1/users/{id}", Tag: "people", Summary: "A user (administrators, or oneself)", Auth: true, Resp: wangge.User{}, h: s.getUser},
		{Method: "PUT", Path: "/api/v1/users/{id}/assignments", Tag: "people", Summary: "Set the units a user covers (1+N; administrators)", Auth: true,
			Body: assignmentsRequest{}, Resp: wangge.User{}, h: s.setAssignments},
		{Method: "GET", Path: "/api/v1/departments", Tag: "people", Summary: "Departments serving the caller's area", Auth: true, Resp: []*wangge.Department{}, h: s.listDepartments},
		{Method: "POST", Path: "/api/v1/departments", Tag: "people", Summary: "Create a department (administrators)", Auth: true, Body: wangge.Department{}, Resp: wangge.Department{}, Status: 201, h: s.createDepartment},

		// Web UI support.
		{Method: "GET", Path: "/api/v1/web/points", Tag: "web", Summary: "Points of the cases a filter selects (open ones by default), compact, for the command-centre map", Auth: true,
			Query: []param{{"unit", "string", "unit subtree"}, {"status", "string", "comma-separated statuses"}, {"open", "string", "true (default), false or all"},
				{"category", "string", "category code or major"}, {"department", "integer", "department id"}, {"light", "string", "green, yellow or red"},
				{"from", "string", "reported at or after (RFC 3339)"}, {"to", "string", "reported before"},
				{"bbox", "string", "minLon,minLat,maxLon,maxLat (WGS84): only the cases located in this box"}},
			Resp: mapPoints{}, h: s.casePoints},
		{Method: "GET", Path: "/api/v1/public/categories", Tag: "public", Summary: "The categories a resident may report under", Resp: []publicCategory{}, h: s.publicCategories},
		{Method: "GET", Path: "/api/v1/public/outline", Tag: "public", Summary: "Boundaries of the county, streets and communities (or one of those levels), for the resident's map",
			Query: []param{{"level", "string", "county, street or community"}}, Resp: featureCollection{}, h: s.publicOutline},
		{Method: "POST", Path: "/api/v1/public/reports/{number}/photos", Tag: "public", Summary: "Attach a photo to one's own report (multipart fields \"photo\" and \"code\", the tracking code)",
			MaxBody: photo.MaxSize + 1<<20, Resp: map[string]any{}, Status: 201, h: s.publicPhoto},
	}
}

// Types used only by the territory routes.
type (
	importResponse struct {
		Created int `json:"created"`
	}
	retireResponse struct {
		Retired int `json:"retired"`
	}
	featureCollection struct {
		Type     string    `json:"type"`
		Features []feature `json:"features"`
		Total    int       `json:"total"`
	}
	feature struct {
		Type       string         `json:"type"`
		ID         int64          `json:"id"`
		Properties map[string]any `json:"properties"`
		Geometry   rawJSON        `json:"geometry"`
	}
	locateResponse struct {
		Lat   float64         `json:"lat"`
		Lon   float64         `json:"lon"`
		CRS   string          `json:"crs"`
		Units []territory.Hit `json:"units"`
	}
)

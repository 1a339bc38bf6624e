package wangge

import (
	"fmt"
	"strings"
	"time"
)

// Status is where a case stands in the closed loop (GB/T 30428 workflow with
// the level-by-level reporting of the comprehensive-governance systems).
type Status string

// Case statuses.
const (
	StatusReported   Status = "reported"    // 上报: received, not yet accepted
	StatusAccepted   Status = "accepted"    // 受理: filed, waiting for dispatch at its level
	StatusDispatched Status = "dispatched"  // 派遣: sent to a department
	StatusInProgress Status = "in_progress" // 处置中
	StatusHandled    Status = "handled"     // 处置完毕: waiting for on-site verification
	StatusVerified   Status = "verified"    // 核查通过
	StatusClosed     Status = "closed"      // 结案
	StatusRated      Status = "rated"       // 评价
	StatusRejected   Status = "rejected"    // 不予受理
	StatusMerged     Status = "merged"      // 重复诉求并单
	StatusSuspended  Status = "suspended"   // 挂起: the clock stops
)

// Open reports whether a case in this status still needs work (Open311's
// "open"); closed, rated, rejected and merged cases are done.
func (s Status) Open() bool {
	switch s {
	case StatusClosed, StatusRated, StatusRejected, StatusMerged:
		return false
	}
	return true
}

// Action is something a person does to a case.
type Action string

// Actions. Every one that succeeds is a row in the case's timeline.
const (
	ActAccept           Action = "accept"
	ActReject           Action = "reject"
	ActMerge            Action = "merge"
	ActDispatch         Action = "dispatch"
	ActReturn           Action = "return"       // the department says it is not theirs: back to the centre, a wrong dispatch
	ActEscalate         Action = "escalate"     // 逐级转报: up to the parent level
	ActSelfResolve      Action = "self_resolve" // 小事不出格: resolved inside the grid
	ActStart            Action = "start"
	ActFinish           Action = "finish"
	ActVerifyOK         Action = "verify_ok"
	ActVerifyFail       Action = "verify_fail" // rework: back to the handler
	ActClose            Action = "close"
	ActRate             Action = "rate"
	ActRequestExtension Action = "request_extension" // 延期申请
	ActApproveExtension Action = "approve_extension"
	ActDenyExtension    Action = "deny_extension"
	ActSuspend          Action = "suspend"
	ActResume           Action = "resume"
	ActUrgent           Action = "urgent"    // 加急
	ActSupervise        Action = "supervise" // 督办: a yellow or red card
	ActComment          Action = "comment"
)

// rule is one line of the workflow table: in which statuses an action may be
// taken, by which roles, and the status it leads to ("" keeps the status).
type rule struct {
	from  []Status
	to    Status
	roles []Role
}

var (
	centre   = []Role{RoleAdmin, RoleOperator}
	cadres   = []Role{RoleAdmin, RoleOperator, RoleCadre}
	gridSide = []Role{RoleGridLeader, RoleGridWorker, RoleGridWorkerPart, RoleMicroGridMember}
	openWork = []Status{StatusAccepted, StatusDispatched, StatusInProgress}
	allOpen  = []Status{StatusReported, StatusAccepted, StatusDispatched, StatusInProgress, StatusHandled, StatusVerified, StatusSuspended}
)

func roles(groups ...[]Role) []Role {
	var out []Role
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// Workflow is the whole state machine: which role may do which action in
// which status, and where it leads. Suspend and resume are special: resume
// returns to the status the case was suspended in.
var Workflow = map[Action]rule{
	ActAccept:           {[]Status{StatusReported}, StatusAccepted, roles(cadres, []Role{RoleGridLeader})},
	ActReject:           {[]Status{StatusReported}, StatusRejected, roles(cadres, []Role{RoleGridLeader})},
	ActMerge:            {[]Status{StatusReported, StatusAccepted}, StatusMerged, cadres},
	ActDispatch:         {[]Status{StatusAccepted}, StatusDispatched, cadres},
	ActReturn:           {[]Status{StatusDispatched, StatusInProgress}, StatusAccepted, []Role{RoleDepartment}},
	ActEscalate:         {openWork, StatusAccepted, roles(cadres, gridSide, []Role{RoleGridPolice})},
	ActSelfResolve:      {[]Status{StatusReported, StatusAccepted}, StatusHandled, roles(gridSide, []Role{RoleGridPolice})},
	ActStart:            {[]Status{StatusDispatched}, StatusInProgress, []Role{RoleDepartment}},
	ActFinish:           {[]Status{StatusInProgress}, StatusHandled, []Role{RoleDepartment}},
	ActVerifyOK:         {[]Status{StatusHandled}, StatusVerified, roles(gridSide, []Role{RoleCadre, RoleGridPolice})},
	ActVerifyFail:       {[]Status{StatusHandled}, StatusInProgress, roles(gridSide, []Role{RoleCadre, RoleGridPolice})},
	ActClose:            {[]Status{StatusVerified}, StatusClosed, cadres},
	ActRate:             {[]Status{StatusClosed}, StatusRated, roles(centre, []Role{RoleResident})},
	ActRequestExtension: {[]Status{StatusDispatched, StatusInProgress}, "", []Role{RoleDepartment}},
	ActApproveExtension: {[]Status{StatusDispatched, StatusInProgress}, "", centre},
	ActDenyExtension:    {[]Status{StatusDispatched, StatusInProgress}, "", centre},
	ActSuspend:          {openWork, StatusSuspended, centre},
	ActResume:           {[]Status{StatusSuspended}, "", centre},
	ActUrgent:           {allOpen, "", cadres},
	ActSupervise:        {allOpen, "", cadres},
	ActComment:          {allOpen, "", roles(cadres, gridSide, []Role{RoleDepartment, RoleGridPolice})},
}

// Case is a reported matter (事件/工单/案卷) from intake to rating. The
// workflow fields are what Apply decides on; the rest is what was reported.
type Case struct {
	ID               int64         `json:"id"`
	Number           string        `json:"number"` // county code + date + sequence: 360730-20261123-000042
	Status           Status        `json:"status"`
	SuspendedFrom    Status        `json:"suspended_from,omitempty"`
	Level            Level         `json:"level"` // the level currently responsible
	UnitID           int64         `json:"unit_id"`
	UnitCode         string        `json:"unit_code"`
	Category         string        `json:"category"`
	Kind             Kind          `json:"kind"`
	Channel          Channel       `json:"channel"`
	Title            string        `json:"title,omitempty"`
	Description      string        `json:"description"`
	Address          string        `json:"address,omitempty"`
	Lon              float64       `json:"lon"`
	Lat              float64       `json:"lat"`
	CRS              string        `json:"crs"` // the system the point arrived in
	ReporterID       *int64        `json:"reporter_id,omitempty"`
	ReporterName     string        `json:"reporter_name,omitempty"`
	ReporterPhone    string        `json:"reporter_phone,omitempty"` // masked on the way out
	DepartmentID     *int64        `json:"department_id,omitempty"`
	Urgent           bool          `json:"urgent"`
	ExtensionPending bool          `json:"extension_pending"`
	Reworks          int           `json:"reworks"`
	WrongDispatches  int           `json:"wrong_dispatches"`
	Escalations      int           `json:"escalations"`
	Rating           int           `json:"rating,omitempty"`
	MergedInto       *int64        `json:"merged_into,omitempty"`
	DuplicateOf      *int64        `json:"duplicate_of,omitempty"` // a probable duplicate, for the operator to merge
	ReportedAt       time.Time     `json:"reported_at"`
	UpdatedAt        time.Time     `json:"updated_at"`
	ClosedAt         *time.Time    `json:"closed_at,omitempty"`
	StepStartedAt    time.Time     `json:"step_started_at"`       // when the current step's clock (re)started
	StepLimit        time.Duration `json:"-"`                     // working time allowed for the step, extensions included
	StepUsed         time.Duration `json:"-"`                     // working time used before a suspension
	NextCheckAt      *time.Time    `json:"-"`                     // when the scheduler must look again
	DueAt            *time.Time    `json:"due_at,omitempty"`      // the current step's deadline
	Light            string        `json:"light,omitempty"`       // green, yellow or red
	ExternalID       string        `json:"external_id,omitempty"` // the id in the system it came from (Open311, an import)
	Overdue          bool          `json:"overdue"`               // a step of this case went past its deadline (for 按期结案率)
	IdempotencyKey   string        `json:"-"`                     // a client's key: a retried report is stored once
	Version          int           `json:"version"`               // changes with every transition; send it back to detect a concurrent change
}

// CaseEvent is one row of a case's timeline.
type CaseEvent struct {
	ID      int64          `json:"id"`
	CaseID  int64          `json:"case_id"`
	At      time.Time      `json:"at"`
	ActorID *int64         `json:"actor_id,omitempty"` // nil for the system (scheduler)
	Action  string         `json:"action"`             // an Action, "report", or a system event such as "yellow", "overdue"
	From    Status         `json:"from,omitempty"`
	To      Status         `json:"to,omitempty"`
	Note    string         `json:"note,omitempty"`
	Data    map[string]any `json:"data,omitempty"`
}

// Channel is how a case came in.
type Channel string

// Intake channels.
const (
	ChannelGridWorker Channel = "grid_worker" // 网格员上报
	ChannelResident   Channel = "resident"    // 群众自主上报 (web page, app)
	ChannelHotline    Channel = "hotline"     // 12345 热线, filed by an operator
	ChannelDepartment Channel = "department"  // 部门移交
	ChannelOpen311    Channel = "open311"
	ChannelImport     Channel = "import"
)

// Channels lists the intake channels.
var Channels = []Channel{ChannelGridWorker, ChannelResident, ChannelHotline, ChannelDepartment, ChannelOpen311, ChannelImport}

// ValidateReport checks a new case as reported, before the platform places
// it in a unit and a category.
func (c *Case) ValidateReport() error {
	var v Validation
	if strings.TrimSpace(c.Description) == "" {
		v.Add("description", "required")
	} else if len(c.Description) > 8000 {
		v.Add("description", "too long (at most 8000 bytes)")
	}
	if len(c.Title) > 200 {
		v.Add("title", "too long")
	}
	if len(c.Address) > 500 {
		v.Add("address", "too long")
	}
	if c.Category == "" {
		v.Add("category", "required")
	}
	ok := false
	for _, ch := range Channels {
		ok = ok || ch == c.Channel
	}
	if !ok {
		v.Add("channel", "unknown channel")
	}
	if c.ReporterPhone != "" && !ValidPhone(c.ReporterPhone) {
		v.Add("reporter_phone", "must be an 11-digit mobile number or a landline")
	}
	if len(c.ReporterName) > 100 {
		v.Add("reporter_name", "too long")
	}
	return v.Err()
}

// CaseNumber formats the human-readable number of the seq-th case reported
// in a county on a day (in China time): 360730-20261123-000042.
func CaseNumber(county string, day time.Time, seq int) string {
	return fmt.Sprintf("%s-%s-%06d", county, day.In(ChinaTime).Format("20060102"), seq)
}

// ChinaTime is China Standard Time (UTC+8, no daylight saving).
var ChinaTime = time.FixedZone("CST", 8*3600)

// Step is a requested action with what it needs.
type Step struct {
	Action     Action
	Actor      *User
	Department *int64        // dispatch: the department to send to
	Rating     int           // rate: 1..5
	Extension  time.Duration // approve_extension: how much working time is added
	Card       string        // supervise: yellow or red
	Note       string
	ToLevel    Level // escalate: skip to this level (越级); empty means the next one up
	SurvivorID int64 // merge: the case this one is merged into
}

// Apply checks a step against the workflow and the case, and returns the
// case as it is after the step. It does not touch c. The error is
// forbidden when the actor's role may not take the action at all, and
// conflict when the case's status does not allow it now.
func Apply(c Case, s Step) (Case, error) {
	r, ok := Workflow[s.Action]
	if !ok {
		return c, FieldError("action", fmt.Sprintf("unknown action %q", s.Action))
	}
	if s.Actor == nil {
		return c, Errorf(EUNAUTHORIZED, "login required")
	}
	if !hasRole(r.roles, s.Actor.Role) {
		return c, Errorf(EFORBIDDEN, "a %s may not %s a case", s.Actor.Role, s.Action)
	}
	if !hasStatus(r.from, c.Status) {
		return c, Errorf(ECONFLICT, "cannot %s a case that is %s", s.Action, c.Status)
	}
	next := c
	if r.to != "" {
		next.Status = r.to
	}
	switch s.Action {
	case ActDispatch:
		if s.Department == nil {
			return c, FieldError("department_id", "required to dispatch")
		}
		d := *s.Department
		next.DepartmentID = &d
	case ActReturn:
		if len(s.Note) < 2 {
			return c, FieldError("note", "say why the case is not yours")
		}
		next.WrongDispatches++
		next.DepartmentID = nil
		next.ExtensionPending = false
	case ActEscalate:
		to, err := escalationTarget(c.Level, s.ToLevel)
		if err != nil {
			return c, err
		}
		next.Level = to
		next.Escalations++
		next.DepartmentID = nil
		next.ExtensionPending = false
	case ActMerge:
		if s.SurvivorID == 0 || s.SurvivorID == c.ID {
			return c, FieldError("survivor_id", "the case to merge into")
		}
	case ActVerifyFail:
		if len(s.Note) < 2 {
			return c, FieldError("note", "say what is still wrong")
		}
		next.Reworks++
	case ActRate:
		if s.Rating < 1 || s.Rating > 5 {
			return c, FieldError("rating", "1 to 5")
		}
		if s.Actor.Role == RoleResident && (c.ReporterID == nil || *c.ReporterID != s.Actor.ID) {
			return c, Errorf(EFORBIDDEN, "only the reporter may rate a case")
		}
		next.Rating = s.Rating
	case ActRequestExtension:
		if c.ExtensionPending {
			return c, Errorf(ECONFLICT, "an extension request is already pending")
		}
		if len(s.Note) < 2 {
			return c, FieldError("note", "say why more time is needed")
		}
		next.ExtensionPending = true
	case ActApproveExtension, ActDenyExtension:
		if !c.ExtensionPending {
			return c, Errorf(ECONFLICT, "no extension request is pending")
		}
		if s.Action == ActApproveExtension && s.Extension <= 0 {
			return c, FieldError("extension", "how much time is granted")
		}
		next.ExtensionPending = false
	case ActSuspend:
		if len(s.Note) < 2 {
			return c, FieldError("note", "say why the case waits")
		}
		next.SuspendedFrom = c.Status
	case ActResume:
		next.Status, next.SuspendedFrom = c.SuspendedFrom, ""
	case ActUrgent:
		if c.Urgent {
			return c, Errorf(ECONFLICT, "the case is already urgent")
		}
		next.Urgent = true
	case ActSupervise:
		if s.Card != "yellow" && s.Card != "red" {
			return c, FieldError("card", "yellow or red")
		}
	}
	return next, nil
}

// EscalationLadder is the order in which a case that a level cannot resolve
// is reported up (逐级转报): a city is the top of the platform.
var EscalationLadder = []Level{LevelMicroGrid, LevelGrid, LevelCommunity, LevelStreet, LevelCounty, LevelCity}

// escalationTarget is the next level up from cur, or to when it is given
// (越级, for categories that skip levels) and lies above cur on the ladder.
func escalationTarget(cur, to Level) (Level, error) {
	pos := -1
	for i, l := range EscalationLadder {
		if l == cur {
			pos = i
		}
	}
	if pos < 0 || pos == len(EscalationLadder)-1 {
		return "", Errorf(ECONFLICT, "a case at %s level has no level above it to escalate to", cur)
	}
	if to == "" {
		return EscalationLadder[pos+1], nil
	}
	for _, l := range EscalationLadder[pos+1:] {
		if l == to {
			return to, nil
		}
	}
	return "", FieldError("to_level", fmt.Sprintf("%s is not above %s", to, cur))
}

// Takes reports whether action a may be taken on a case in status s, by
// some role.
func Takes(a Action, s Status) bool {
	r, ok := Workflow[a]
	return ok && hasStatus(r.from, s)
}

// SyncActor is who takes action a for another system that reports it (a
// city's 311 system, a hotline platform): no account, the source's name, and
// the first role the workflow allows for a.
func SyncActor(a Action, source string) *User {
	u := &User{Username: source, Role: RoleAdmin}
	if r, ok := Workflow[a]; ok && len(r.roles) > 0 {
		u.Role = r.roles[0]
	}
	return u
}

// Allowed lists the actions the user's role may take on the case now, for
// the buttons of a case page.
func Allowed(c Case, u *User) []Action {
	var out []Action
	for _, a := range actionOrder {
		r := Workflow[a]
		if hasRole(r.roles, u.Role) && hasStatus(r.from, c.Status) {
			switch {
			case a == ActRequestExtension && c.ExtensionPending,
				(a == ActApproveExtension || a == ActDenyExtension) && !c.ExtensionPending,
				a == ActUrgent && c.Urgent,
				a == ActEscalate && c.Level == EscalationLadder[len(EscalationLadder)-1],
				a == ActRate && u.Role == RoleResident && (c.ReporterID == nil || *c.ReporterID != u.ID):
				continue
			}
			out = append(out, a)
		}
	}
	return out
}

var actionOrder = []Action{ActAccept, ActReject, ActMerge, ActDispatch, ActReturn, ActEscalate, ActSelfResolve, ActStart, ActFinish,
	ActVerifyOK, ActVerifyFail, ActClose, ActRate, ActRequestExtension, ActApproveExtension, ActDenyExtension, ActSuspend, ActResume,
	ActUrgent, ActSupervise, ActComment}

func hasRole(rs []Role, r Role) bool {
	for _, x := range rs {
		if x == r {
			return true
		}
	}
	return false
}

func hasStatus(ss []Status, s Status) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// CanSee reports whether u may see c: the same rule as the case scope in
// SQL (unit subtree, own department, own report), for events that never
// pass through a query, such as the live stream.
func CanSee(u *User, c *Case) bool {
	if u == nil {
		return false
	}
	if ScopeOf(u).Contains(c.UnitCode) {
		return true
	}
	if u.DepartmentID != nil && c.DepartmentID != nil && *u.DepartmentID == *c.DepartmentID {
		return true
	}
	return u.ID != 0 && c.ReporterID != nil && *c.ReporterID == u.ID
}

package wangge

import "time"

// Audience is who a notification is for: one user, a department's staff,
// or the people assigned to a unit.
type Audience struct {
	UserID       *int64 `json:"user_id,omitempty"`
	DepartmentID *int64 `json:"department_id,omitempty"`
	UnitCode     string `json:"unit_code,omitempty"`
}

// Notification is an inbox entry about a case.
type Notification struct {
	ID        int64  `json:"id"`
	CaseID    int64  `json:"case_id"`
	Number    string `json:"number"`
	Kind      string `json:"kind"` // the timeline action that caused it
	MessageZH string `json:"message_zh"`
	MessageEN string `json:"message_en"`
	Audience
	CreatedAt time.Time `json:"created_at"`
	Read      bool      `json:"read"`
}

// Notify decides who must hear of a timeline event, and what they are
// told: the department a case is dispatched or overdue to, the grid that
// must verify a handled case, the reporter when their case is closed, and
// the unit a case is escalated to. The zero-length answer means nobody.
func Notify(c Case, ev CaseEvent) []Notification {
	var out []Notification
	add := func(a Audience, zh, en string) {
		out = append(out, Notification{CaseID: c.ID, Number: c.Number, Kind: ev.Action, MessageZH: zh, MessageEN: en, Audience: a})
	}
	switch ev.Action {
	case string(ActDispatch):
		if c.DepartmentID != nil {
			add(Audience{DepartmentID: c.DepartmentID}, "新派遣案件 "+c.Number+"，请按时处置", "Case "+c.Number+" was dispatched to you")
		}
	case string(ActFinish), string(ActSelfResolve):
		add(Audience{UnitCode: c.UnitCode}, "案件 "+c.Number+" 已处置，请现场核查", "Case "+c.Number+" was handled: verify it on site")
	case string(ActVerifyFail):
		if c.DepartmentID != nil {
			add(Audience{DepartmentID: c.DepartmentID}, "案件 "+c.Number+" 核查未通过，需返工", "Case "+c.Number+" failed verification: rework needed")
		}
	case string(ActClose):
		if c.ReporterID != nil {
			add(Audience{UserID: c.ReporterID}, "您反映的问题 "+c.Number+" 已办结，请评价", "Your report "+c.Number+" was closed: please rate it")
		}
	case "yellow", "overdue":
		zh, en := "案件 "+c.Number+" 即将超时", "Case "+c.Number+" is about to go overdue"
		if ev.Action == "overdue" {
			zh, en = "案件 "+c.Number+" 已超时", "Case "+c.Number+" is overdue"
		}
		if c.DepartmentID != nil && (c.Status == StatusDispatched || c.Status == StatusInProgress) {
			add(Audience{DepartmentID: c.DepartmentID}, zh, en)
		} else {
			add(Audience{UnitCode: c.UnitCode}, zh, en)
		}
	case string(ActEscalate), "auto_escalate", string(ActReturn):
		add(Audience{UnitCode: c.UnitCode}, "案件 "+c.Number+" 需要重新派遣（"+string(c.Level)+"）", "Case "+c.Number+" needs dispatching again ("+string(c.Level)+" level)")
	case string(ActSupervise):
		if c.DepartmentID != nil {
			add(Audience{DepartmentID: c.DepartmentID}, "案件 "+c.Number+" 被督办", "Case "+c.Number+" is under supervision")
		}
	}
	return out
}

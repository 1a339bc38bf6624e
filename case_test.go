package wangge_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wangge/wangge"
)

var (
	operator = &wangge.User{ID: 1, Role: wangge.RoleOperator}
	dept     = &wangge.User{ID: 2, Role: wangge.RoleDepartment}
	worker   = &wangge.User{ID: 3, Role: wangge.RoleGridWorker}
	reporter = &wangge.User{ID: 4, Role: wangge.RoleResident}
	stranger = &wangge.User{ID: 5, Role: wangge.RoleResident}
	leader   = &wangge.User{ID: 6, Role: wangge.RoleGridLeader}
	deptID   = int64(9)
)

func mustApply(t *testing.T, c wangge.Case, s wangge.Step) wangge.Case {
	t.Helper()
	next, err := wangge.Apply(c, s)
	if err != nil {
		t.Fatalf("%s by %s in %s: %v", s.Action, s.Actor.Role, c.Status, err)
	}
	return next
}

func TestWholeLoop(t *testing.T) {
	c := wangge.Case{ID: 1, Status: wangge.StatusReported, Level: wangge.LevelGrid, ReporterID: &reporter.ID}
	steps := []struct {
		step wangge.Step
		want wangge.Status
	}{
		{wangge.Step{Action: wangge.ActAccept, Actor: operator}, wangge.StatusAccepted},
		{wangge.Step{Action: wangge.ActDispatch, Actor: operator, Department: &deptID}, wangge.StatusDispatched},
		{wangge.Step{Action: wangge.ActStart, Actor: dept}, wangge.StatusInProgress},
		{wangge.Step{Action: wangge.ActFinish, Actor: dept}, wangge.StatusHandled},
		{wangge.Step{Action: wangge.ActVerifyFail, Actor: worker, Note: "还在漏水"}, wangge.StatusInProgress},
		{wangge.Step{Action: wangge.ActFinish, Actor: dept}, wangge.StatusHandled},
		{wangge.Step{Action: wangge.ActVerifyOK, Actor: worker}, wangge.StatusVerified},
		{wangge.Step{Action: wangge.ActClose, Actor: operator}, wangge.StatusClosed},
		{wangge.Step{Action: wangge.ActRate, Actor: reporter, Rating: 5}, wangge.StatusRated},
	}
	for _, s := range steps {
		c = mustApply(t, c, s.step)
		if c.Status != s.want {
			t.Fatalf("after %s: %s, want %s", s.step.Action, c.Status, s.want)
		}
		if c.Status.Open() != (s.want != wangge.StatusClosed && s.want != wangge.StatusRated) {
			t.Errorf("%s: Open() = %v", c.Status, c.Status.Open())
		}
	}
	if c.Reworks != 1 || c.Rating != 5 || *c.DepartmentID != deptID {
		t.Errorf("final case = %+v", c)
	}
}

func TestApplyRefusals(t *testing.T) {
	reported := wangge.Case{ID: 1, Status: wangge.StatusReported, Level: wangge.LevelGrid, ReporterID: &reporter.ID}
	accepted := reported
	accepted.Status = wangge.StatusAccepted
	handled := reported
	handled.Status = wangge.StatusHandled
	closed := reported
	closed.Status = wangge.StatusClosed
	inProgress := reported
	inProgress.Status = wangge.StatusInProgress
	cityLevel := accepted
	cityLevel.Level = wangge.LevelCity
	tests := []struct {
		name  string
		c     wangge.Case
		step  wangge.Step
		code  string
		field string
	}{
		{"resident cannot accept", reported, wangge.Step{Action: wangge.ActAccept, Actor: reporter}, wangge.EFORBIDDEN, ""},
		{"department cannot dispatch", accepted, wangge.Step{Action: wangge.ActDispatch, Actor: dept, Department: &deptID}, wangge.EFORBIDDEN, ""},
		{"no anonymous steps", reported, wangge.Step{Action: wangge.ActAccept}, wangge.EUNAUTHORIZED, ""},
		{"unknown action", reported, wangge.Step{Action: "teleport", Actor: operator}, wangge.EINVALID, "action"},
		{"accept twice", accepted, wangge.Step{Action: wangge.ActAccept, Actor: operator}, wangge.ECONFLICT, ""},
		{"close before verification", handled, wangge.Step{Action: wangge.ActClose, Actor: operator}, wangge.ECONFLICT, ""},
		{"start before dispatch", accepted, wangge.Step{Action: wangge.ActStart, Actor: dept}, wangge.ECONFLICT, ""},
		{"dispatch needs a department", accepted, wangge.Step{Action: wangge.ActDispatch, Actor: operator}, wangge.EINVALID, "department_id"},
		{"rework needs a reason", handled, wangge.Step{Action: wangge.ActVerifyFail, Actor: worker}, wangge.EINVALID, "note"},
		{"only the reporter rates", closed, wangge.Step{Action: wangge.ActRate, Actor: stranger, Rating: 4}, wangge.EFORBIDDEN, ""},
		{"rating out of range", closed, wangge.Step{Action: wangge.ActRate, Actor: reporter, Rating: 6}, wangge.EINVALID, "rating"},
		{"no level above the city", cityLevel, wangge.Step{Action: wangge.ActEscalate, Actor: operator}, wangge.ECONFLICT, ""},
		{"escalate downwards", accepted, wangge.Step{Action: wangge.ActEscalate, Actor: leader, ToLevel: wangge.LevelMicroGrid}, wangge.EINVALID, "to_level"},
		{"merge into itself", reported, wangge.Step{Action: wangge.ActMerge, Actor: operator, SurvivorID: 1}, wangge.EINVALID, "survivor_id"},
		{"approve without request", inProgress, wangge.Step{Action: wangge.ActApproveExtension, Actor: operator, Extension: time.Hour}, wangge.ECONFLICT, ""},
		{"supervise with a green card", inProgress, wangge.Step{Action: wangge.ActSupervise, Actor: operator, Card: "green"}, wangge.EINVALID, "card"},
		{"nothing happens to a closed case", closed, wangge.Step{Action: wangge.ActSuspend, Actor: operator, Note: "wait"}, wangge.ECONFLICT, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := wangge.Apply(tt.c, tt.step)
			if wangge.ErrorCode(err) != tt.code {
				t.Fatalf("err = %v, want code %s", err, tt.code)
			}
			if tt.field != "" && wangge.ErrorFields(err)[tt.field] == "" {
				t.Errorf("fields %v, want %s", wangge.ErrorFields(err), tt.field)
			}
			if diff := cmp.Diff(tt.c, got); diff != "" {
				t.Errorf("a refused step changed the case:\n%s", diff)
			}
		})
	}
}

func TestSideFlows(t *testing.T) {
	c := wangge.Case{ID: 1, Status: wangge.StatusDispatched, Level: wangge.LevelGrid, DepartmentID: &deptID}

	// Suspend and resume return to the status the case was in.
	s := mustApply(t, c, wangge.Step{Action: wangge.ActSuspend, Actor: operator, Note: "等待业主回国"})
	if s.Status != wangge.StatusSuspended || !s.Status.Open() {
		t.Fatalf("suspended = %+v", s)
	}
	if r := mustApply(t, s, wangge.Step{Action: wangge.ActResume, Actor: operator}); r.Status != wangge.StatusDispatched || r.SuspendedFrom != "" {
		t.Errorf("resumed = %+v", r)
	}

	// A wrong dispatch goes back to the centre and is counted.
	r := mustApply(t, c, wangge.Step{Action: wangge.ActReturn, Actor: dept, Note: "不属于本部门职责"})
	if r.Status != wangge.StatusAccepted || r.WrongDispatches != 1 || r.DepartmentID != nil {
		t.Errorf("returned = %+v", r)
	}

	// Escalation moves the case up one level and clears the department;
	// a category that skips levels names the target.
	e := mustApply(t, c, wangge.Step{Action: wangge.ActEscalate, Actor: leader})
	if e.Level != wangge.LevelCommunity || e.Escalations != 1 || e.Status != wangge.StatusAccepted || e.DepartmentID != nil {
		t.Errorf("escalated = %+v", e)
	}
	if skip := mustApply(t, e, wangge.Step{Action: wangge.ActEscalate, Actor: operator, ToLevel: wangge.LevelCounty}); skip.Level != wangge.LevelCounty || skip.Escalations != 2 {
		t.Errorf("skipped to county = %+v", skip)
	}

	// 小事不出格: a grid worker resolves a small matter on the spot.
	small := wangge.Case{ID: 2, Status: wangge.StatusReported, Level: wangge.LevelGrid}
	if h := mustApply(t, small, wangge.Step{Action: wangge.ActSelfResolve, Actor: worker}); h.Status != wangge.StatusHandled {
		t.Errorf("self-resolved = %+v", h)
	}

	// One extension request at a time, then approved.
	x := mustApply(t, c, wangge.Step{Action: wangge.ActRequestExtension, Actor: dept, Note: "需采购配件"})
	if _, err := wangge.Apply(x, wangge.Step{Action: wangge.ActRequestExtension, Actor: dept, Note: "again"}); wangge.ErrorCode(err) != wangge.ECONFLICT {
		t.Errorf("second request: %v", err)
	}
	if a := mustApply(t, x, wangge.Step{Action: wangge.ActApproveExtension, Actor: operator, Extension: 14 * time.Hour}); a.ExtensionPending {
		t.Error("approval left the request pending")
	}

	u := mustApply(t, c, wangge.Step{Action: wangge.ActUrgent, Actor: operator})
	if _, err := wangge.Apply(u, wangge.Step{Action: wangge.ActUrgent, Actor: operator}); wangge.ErrorCode(err) != wangge.ECONFLICT {
		t.Error("urgent twice")
	}
}

func TestAllowed(t *testing.T) {
	c := wangge.Case{Status: wangge.StatusDispatched, Level: wangge.LevelGrid, ReporterID: &reporter.ID}
	got := wangge.Allowed(c, dept)
	want := []wangge.Action{wangge.ActReturn, wangge.ActStart, wangge.ActRequestExtension, wangge.ActComment}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("department on a dispatched case (-want +got):\n%s", diff)
	}
	if got := wangge.Allowed(wangge.Case{Status: wangge.StatusClosed, ReporterID: &reporter.ID}, stranger); len(got) != 0 {
		t.Errorf("a stranger may %v", got)
	}
	// Every action Allowed offers is one Apply accepts the role for.
	for _, u := range []*wangge.User{operator, dept, worker, reporter, leader} {
		for _, st := range []wangge.Status{wangge.StatusReported, wangge.StatusAccepted, wangge.StatusDispatched, wangge.StatusInProgress, wangge.StatusHandled, wangge.StatusVerified, wangge.StatusClosed, wangge.StatusSuspended} {
			for _, a := range wangge.Allowed(wangge.Case{Status: st, Level: wangge.LevelGrid, ReporterID: &reporter.ID}, u) {
				_, err := wangge.Apply(wangge.Case{Status: st, Level: wangge.LevelGrid, ReporterID: &reporter.ID}, wangge.Step{Action: a, Actor: u})
				if c := wangge.ErrorCode(err); c == wangge.EFORBIDDEN || c == wangge.ECONFLICT {
					t.Errorf("%s in %s: Allowed offers %s but Apply says %v", u.Role, st, a, err)
				}
			}
		}
	}
}

func TestValidateReport(t *testing.T) {
	good := wangge.Case{Description: "路灯不亮", Category: "1002", Channel: wangge.ChannelResident, ReporterPhone: "19900001111"}
	if err := good.ValidateReport(); err != nil {
		t.Fatal(err)
	}
	bad := wangge.Case{Channel: "pigeon", ReporterPhone: "12"}
	var got []string
	for f := range wangge.ErrorFields(bad.ValidateReport()) {
		got = append(got, f)
	}
	if diff := cmp.Diff([]string{"category", "channel", "description", "reporter_phone"}, got, sortStrings); diff != "" {
		t.Error(diff)
	}
}

func TestCaseNumber(t *testing.T) {
	// 23:30 UTC on the 22nd is already the 23rd in China.
	at := time.Date(2026, 11, 22, 23, 30, 0, 0, time.UTC)
	if got := wangge.CaseNumber("360730", at, 42); got != "360730-20261123-000042" {
		t.Errorf("CaseNumber = %s", got)
	}
}

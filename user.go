package wangge

import (
	"context"
	"strings"
	"time"
)

// Role is what a user does in the system.
type Role string

// Roles.
const (
	RoleAdmin           Role = "admin"
	RoleOperator        Role = "operator"          // 指挥中心坐席
	RoleDepartment      Role = "department"        // 部门人员
	RoleCadre           Role = "cadre"             // 街道/社区干部, 包片干部
	RoleGridLeader      Role = "grid_leader"       // 网格长
	RoleGridWorker      Role = "grid_worker"       // 专职网格员
	RoleGridWorkerPart  Role = "grid_worker_part"  // 兼职网格员
	RoleMicroGridMember Role = "micro_grid_member" // 微网格员
	RoleGridPolice      Role = "grid_police"       // 网格警
	RoleResident        Role = "resident"
)

// Roles lists every role.
var Roles = []Role{RoleAdmin, RoleOperator, RoleDepartment, RoleCadre, RoleGridLeader, RoleGridWorker, RoleGridWorkerPart, RoleMicroGridMember, RoleGridPolice, RoleResident}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// User is an account.
type User struct {
	ID           int64     `json:"id"`
	Username     string    `json:"username"`
	Name         string    `json:"name"`
	Role         Role      `json:"role"`
	DepartmentID *int64    `json:"department_id,omitempty"`
	Units        []string  `json:"units"` // codes of the units assigned
	Disabled     bool      `json:"disabled,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

// Validate checks a new user.
func (u *User) Validate() error {
	var v Validation
	if n := len(u.Username); n < 2 || n > 64 || strings.ContainsAny(u.Username, " \t\r\n/") {
		v.Add("username", "2-64 characters without spaces or slashes")
	}
	if strings.TrimSpace(u.Name) == "" {
		u.Name = u.Username
	}
	if !u.Role.Valid() {
		v.Add("role", "unknown role")
	}
	for _, c := range u.Units {
		if !ValidCode(c) {
			v.Add("units", "invalid unit code "+c)
		}
	}
	return v.Err()
}

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 8

// Scope is the part of the territory a user may see: the union of the
// subtrees of their assigned units. All is set for administrators.
type Scope struct {
	All   bool
	Roots []string
}

// ScopeOf returns the scope of a user. Admins see everything; everyone else
// sees the subtrees of their units (none if unassigned).
func ScopeOf(u *User) Scope {
	if u.Role == RoleAdmin {
		return Scope{All: true}
	}
	return Scope{Roots: NormalizeRoots(u.Units)}
}

// Contains reports whether a unit code lies in the scope.
func (s Scope) Contains(code string) bool {
	if s.All {
		return true
	}
	for _, r := range s.Roots {
		if InSubtree(code, r) {
			return true
		}
	}
	return false
}

// NormalizeRoots drops codes that lie in the subtree of another code in the
// list, so a scope predicate has as few terms as possible.
func NormalizeRoots(codes []string) []string {
	out := make([]string, 0, len(codes))
	for _, c := range codes {
		covered := false
		for _, d := range codes {
			if d != c && InSubtree(c, d) {
				covered = true
				break
			}
		}
		if !covered && !contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

type ctxKey int

const userKey ctxKey = 0

// NewContextWithUser returns a context carrying the authenticated user.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// UserFromContext returns the authenticated user, or nil.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userKey).(*User)
	return u
}

// ScopeFromContext returns the scope of the context's user; a context with
// no user has an empty scope and sees nothing.
func ScopeFromContext(ctx context.Context) Scope {
	if u := UserFromContext(ctx); u != nil {
		return ScopeOf(u)
	}
	return Scope{}
}

package demo

import (
	"fmt"

	"github.com/wangge/wangge"
)

// staff fills in the departments and the user accounts: a cadre per
// community, a grid leader and a full-time grid worker per grid, a member
// per micro-grid, grid police officers covering 6-8 grids each ("1+N"), the
// command-centre operator and a user per department. Usernames are ASCII and
// spell out what the account is: "gw" + grid code is that grid's worker.
func (g *generator) staff(c *County) {
	rng := g.stream(9)
	name := func() string {
		n := len(surnames)
		return g.names[min(rng.IntN(n), rng.IntN(n))*len(givenChars)+rng.IntN(len(givenChars))]
	}

	c.Departments = make([]wangge.Department, len(departments))
	for i, d := range departments {
		d.UnitCode = g.county
		c.Departments[i] = d
	}

	police := spread(rng, (NumGrids+gridsPerPolice/2)/gridsPerPolice, len(c.Grids), minGridsPerPolice, maxGridsPerPolice, 1)
	c.Staff = make([]Staff, 0, len(c.Communities)+2*len(c.Grids)+len(c.MicroGrids)+len(police)+1+len(c.Departments))
	add := func(username string, role wangge.Role, units ...string) {
		c.Staff = append(c.Staff, Staff{Username: username, Name: name(), Role: role, Units: units})
	}
	add("operator", wangge.RoleOperator, g.county)
	for _, cm := range c.Communities {
		add("cadre"+cm.Code, wangge.RoleCadre, cm.Code)
	}
	for _, gr := range c.Grids {
		add("gl"+gr.Code, wangge.RoleGridLeader, gr.Code)
		add("gw"+gr.Code, wangge.RoleGridWorker, gr.Code)
	}
	for _, mg := range c.MicroGrids {
		add("mg"+mg.Code, wangge.RoleMicroGridMember, mg.Code)
	}
	// Police beats follow the grid order, which keeps each officer's
	// grids next to each other on the map.
	for i, gi := 0, 0; i < len(police); i++ {
		units := make([]string, 0, police[i])
		for _, gr := range c.Grids[gi : gi+police[i]] {
			units = append(units, gr.Code)
		}
		gi += police[i]
		add(fmt.Sprintf("police%02d", i+1), wangge.RoleGridPolice, units...)
	}
	// A department's handler sees the cases dispatched to the department
	// (and those they report), not the county's: no units of their own.
	for _, d := range c.Departments {
		add("dept-"+d.Code, wangge.RoleDepartment)
		c.Staff[len(c.Staff)-1].Department = d.Code
	}
}

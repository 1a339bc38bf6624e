package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wangge/wangge"
	"github.com/wangge/wangge/internal/geo"
)

// actor is a user of the target the mixed bench acts as.
type actor struct {
	id       int64
	username string
	token    string
	role     wangge.Role
	grid     string      // a grid worker's grid
	dept     int64       // a department handler's department
	points   []geo.Point // a grid worker's: points inside the grid
	persons  []int64     // a grid worker's: residents registered in the grid
	visits   atomic.Int64
	nextPers atomic.Int64
}

// mixedWorld is what the mixed bench set up on the target: its users, the
// residents they visit and where reports are made.
type mixedWorld struct {
	base       string
	c          *http.Client // keep-alive connections of the staff
	public     *http.Client // residents and logins: a new connection per request, from its own address when possible
	rotated    bool         // public's connections come from distinct loopback addresses
	apiKey     string
	operator   *actor
	workers    []*actor
	handlers   map[int64]*actor // by department id
	depts      []int64
	categories []string // leaf service codes
	publicCats []string // codes a resident may report under
	persons    int
}

// apiCall sends a JSON request as the bearer of token (none when empty) and
// decodes a JSON answer into out (when not nil); an answer other than want
// is an error that says what came back.
func apiCall(ctx context.Context, c *http.Client, method, u, token string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s %s: %s: %s", method, req.URL.Path, resp.Status, strings.TrimSpace(string(msg)))
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// rotatingClient opens a new connection for every request. When the target
// is on a loopback address, each connection comes from its own address in
// 127.0.0.0/8 (Linux answers on all of them): the server limits logins and
// anonymous reports per client address, as it should for real clients, and
// a thousand residents do not share one address.
func rotatingClient(base string) (*http.Client, bool) {
	plain := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext, ResponseHeaderTimeout: 30 * time.Second}}
	u, err := url.Parse(base)
	if err != nil {
		return plain, false
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback() || ip.To4() == nil) && host != "localhost" {
		return plain, false
	}
	// Can this system send from 127.0.0.2?
	d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	conn, err := d.Dial("tcp", u.Host)
	if err != nil {
		return plain, false
	}
	conn.Close()
	var n atomic.Uint32
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		// 127.1.0.0 to 127.254.255.255: millions of addresses.
		i := n.Add(1)
		ip := net.IPv4(127, byte(1+(i>>16)%254), byte(i>>8), byte(i))
		d := net.Dialer{Timeout: 2 * time.Second, LocalAddr: &net.TCPAddr{IP: ip}}
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableKeepAlives: true, DialContext: dial,
		ResponseHeaderTimeout: 30 * time.Second}}, true
}

// Care tiers of the demo county's 279,855 residents (internal/demo, the
// demo's seed): 4,667 high-risk, 13,718 key, the rest general. The bench's
// residents are drawn in these shares.
const (
	shareHighRisk = 4667.0 / 279855
	shareKey      = 13718.0 / 279855
)

// setupMixed creates, through the API as the administrator of adminToken,
// the people the mixed bench acts as: an operator at the command centre, a
// handler in every department, a grid worker in each of o.Grids grids (with
// o.PersonsPerWorker residents of the grid to visit), and finds points in
// those grids to report at.
func setupMixed(ctx context.Context, t *Target, o *MixedOptions, progress io.Writer) (*mixedWorld, error) {
	w := &mixedWorld{base: strings.TrimSuffix(t.URL, "/"), c: NewClient(3 * o.Clients), apiKey: t.APIKey, handlers: map[int64]*actor{}}
	if err := probe(ctx, w.c, w.base); err != nil {
		return nil, err
	}
	w.public, w.rotated = rotatingClient(w.base)
	var me wangge.User
	if err := apiCall(ctx, w.c, "GET", w.base+"/api/v1/me", o.AdminToken, nil, &me, 200); err != nil {
		return nil, wangge.FieldError("token", fmt.Sprintf("an administrator's bearer token of the target is needed (%v)", err))
	}
	if me.Role != wangge.RoleAdmin {
		return nil, wangge.FieldError("token", fmt.Sprintf("the token is %s's, a %s: the mixed bench creates its users and needs an administrator's", me.Username, me.Role))
	}
	var err error
	if w.categories, err = t.categories(ctx, w.c); err != nil {
		return nil, err
	}
	var pub []struct {
		Code string `json:"code"`
	}
	if err := apiCall(ctx, w.c, "GET", w.base+"/api/v1/public/categories", "", nil, &pub, 200); err != nil {
		return nil, err
	}
	for _, p := range pub {
		w.publicCats = append(w.publicCats, p.Code)
	}
	if len(w.publicCats) == 0 {
		w.publicCats = w.categories
	}
	var depts []struct {
		ID   int64  `json:"id"`
		Code string `json:"code"`
	}
	if err := apiCall(ctx, w.c, "GET", w.base+"/api/v1/departments", o.AdminToken, nil, &depts, 200); err != nil {
		return nil, err
	}
	if len(depts) == 0 {
		return nil, fmt.Errorf("%s has no department: cases cannot be dispatched", w.base)
	}
	var county struct {
		Items []struct {
			Code string `json:"code"`
		} `json:"items"`
	}
	if err := apiCall(ctx, w.c, "GET", w.base+"/api/v1/units?level=county&limit=10", o.AdminToken, nil, &county, 200); err != nil {
		return nil, err
	}
	if len(county.Items) == 0 {
		return nil, fmt.Errorf("%s has no county unit: the command centre's scope is a county", w.base)
	}

	// Points by grid: the chain of units at each point says its grid.
	pts, err := t.points(ctx, w.c)
	if err != nil {
		return nil, err
	}
	byGrid := map[string][]geo.Point{}
	for _, p := range pts {
		var loc struct {
			Units []struct {
				Code  string       `json:"code"`
				Level wangge.Level `json:"level"`
			} `json:"units"`
		}
		if err := apiCall(ctx, w.c, "GET", fmt.Sprintf("%s/api/v1/locate?lat=%s&lon=%s", w.base, coord(p.Y), coord(p.X)), "", nil, &loc, 200); err != nil {
			return nil, fmt.Errorf("placing points: %w", err)
		}
		for _, u := range loc.Units {
			if u.Level == wangge.LevelGrid {
				byGrid[u.Code] = append(byGrid[u.Code], p)
			}
		}
	}
	grids := make([]string, 0, len(byGrid))
	for g := range byGrid {
		grids = append(grids, g)
	}
	slices.Sort(grids)
	if len(grids) == 0 {
		return nil, fmt.Errorf("no report point of %s lies in a grid: the mixed bench needs grids and their grid workers", w.base)
	}
	if len(grids) > o.Grids {
		// Spread over the territory rather than the first few in code order.
		picked := make([]string, o.Grids)
		for i := range picked {
			picked[i] = grids[i*len(grids)/o.Grids]
		}
		grids = picked
	}

	// The users. Names carry a random suffix: a --target may be benched twice.
	suffix := make([]byte, 3)
	rand.Read(suffix)
	tag := hex.EncodeToString(suffix)
	pw := hex.EncodeToString(append(suffix, make([]byte, 10)...)) + "-Bench"
	type want struct {
		a     *actor
		units []string
		name  string
	}
	var users []want
	w.operator = &actor{username: "bench-op-" + tag, role: wangge.RoleOperator}
	users = append(users, want{w.operator, []string{county.Items[0].Code}, "压测坐席"})
	for _, d := range depts {
		a := &actor{username: fmt.Sprintf("bench-dept%d-%s", d.ID, tag), role: wangge.RoleDepartment, dept: d.ID}
		w.handlers[d.ID] = a
		w.depts = append(w.depts, d.ID)
		users = append(users, want{a, []string{county.Items[0].Code}, "压测部门" + d.Code})
	}
	for _, g := range grids {
		a := &actor{username: "bench-gw" + g + "-" + tag, role: wangge.RoleGridWorker, grid: g, points: byGrid[g]}
		w.workers = append(w.workers, a)
		users = append(users, want{a, []string{g}, "压测网格员"})
	}
	fmt.Fprintf(progress, "creating %d users (an operator, %d department handlers, %d grid workers)...\n", len(users), len(depts), len(grids))
	err = parallel(ctx, 4, len(users), func(i int) error {
		u := users[i]
		req := map[string]any{"username": u.a.username, "name": u.name, "password": pw, "role": u.a.role, "units": u.units}
		if u.a.dept != 0 {
			req["department_id"] = u.a.dept
		}
		var created wangge.User
		if err := apiCall(ctx, w.c, "POST", w.base+"/api/v1/users", o.AdminToken, req, &created, 201); err != nil {
			return fmt.Errorf("create user %s: %w", u.a.username, err)
		}
		u.a.id = created.ID
		var login struct {
			Token string `json:"token"`
		}
		if err := apiCall(ctx, w.public, "POST", w.base+"/api/v1/auth/login", "", map[string]any{"username": u.a.username, "password": pw}, &login, 200); err != nil {
			if !w.rotated && strings.Contains(err.Error(), "403") {
				return fmt.Errorf("log in %s: %w (the server allows 10 logins a minute from one address; run the bench on the target's host, where each login comes from its own loopback address)", u.a.username, err)
			}
			return fmt.Errorf("log in %s: %w", u.a.username, err)
		}
		u.a.token = login.Token
		return nil
	})
	if err != nil {
		return nil, err
	}

	// Residents to visit, registered by their grid worker.
	fmt.Fprintf(progress, "registering %d residents...\n", len(w.workers)*o.PersonsPerWorker)
	rng := mrand.New(mrand.NewPCG(o.Seed, 3))
	type reg struct {
		a    *actor
		tier wangge.CareTier
		seed uint64
	}
	var regs []reg
	for _, a := range w.workers {
		for i := 0; i < o.PersonsPerWorker; i++ {
			tier := wangge.CareGeneral
			switch x := rng.Float64(); {
			case x < shareHighRisk:
				tier = wangge.CareHighRisk
			case x < shareHighRisk+shareKey:
				tier = wangge.CareKey
			}
			regs = append(regs, reg{a, tier, rng.Uint64()})
		}
	}
	var mu sync.Mutex
	err = parallel(ctx, 4, len(regs), func(i int) error {
		r := regs[i]
		prng := mrand.New(mrand.NewPCG(r.seed, 5))
		for try := 0; ; try++ {
			p := map[string]any{"name": "压测居民", "id_number": benchIDNumber(prng), "unit_code": r.a.grid, "care_tier": r.tier}
			var created wangge.Person
			err := apiCall(ctx, w.c, "POST", w.base+"/api/v1/persons", r.a.token, p, &created, 201)
			if err != nil && strings.Contains(err.Error(), "409") && try < 5 {
				continue // the ID number is taken: draw another
			}
			if err != nil {
				return fmt.Errorf("register a resident: %w", err)
			}
			mu.Lock()
			r.a.persons = append(r.a.persons, created.ID)
			w.persons++
			mu.Unlock()
			return nil
		}
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// benchIDNumber draws a valid GB 11643 ID number: the demo county's area
// code, a birth date from 1940 to 2005, a sequence and the check digit.
func benchIDNumber(rng *mrand.Rand) string {
	birth := time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(66*365))
	first17 := "360730" + birth.Format("20060102") + fmt.Sprintf("%03d", rng.IntN(1000))
	d, _ := wangge.IDCheckDigit(first17)
	return first17 + string(d)
}

// parallel runs f(0..n-1) on at most k goroutines and returns the first
// error.
func parallel(ctx context.Context, k, n int, f func(i int) error) error {
	var (
		next  atomic.Int64
		first error
		once  sync.Once
		wg    sync.WaitGroup
	)
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

var errNoCase = errors.New("the case was not found in the operator's list of new reports")

// itoa formats an id for a path.
func itoa(id int64) string { return strconv.FormatInt(id, 10) }

package app

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wangge/wangge"
)

func (env *Env) userCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"user: add, list or passwd"}
	}
	var c Config
	fs := flag.NewFlagSet("user "+args[0], flag.ContinueOnError)
	c.flags(fs, "wangge-data")
	username := fs.String("username", "", "login name")
	name := fs.String("name", "", "display name")
	role := fs.String("role", "", "role: "+roleList())
	units := fs.String("units", "", "comma-separated codes of the units the user covers")
	pw := fs.String("password", "", "password (else WANGGE_PASSWORD or standard input)")
	if err := parse(fs, args[1:], env.Stderr); err != nil {
		return err
	}
	db, err := openCurrent(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	sys := System(ctx)
	switch args[0] {
	case "add":
		p, err := env.password(*pw)
		if err != nil {
			return err
		}
		u := &wangge.User{Username: *username, Name: *name, Role: wangge.Role(*role), Units: splitList(*units)}
		if err := db.CreateUser(sys, u, p); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "created user %s (id %d, role %s, units %s)\n", u.Username, u.ID, u.Role, strings.Join(u.Units, ","))
		return nil
	case "passwd":
		p, err := env.password(*pw)
		if err != nil {
			return err
		}
		if err := db.SetPassword(sys, *username, p); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "password of %s changed; its sessions were ended\n", *username)
		return nil
	case "list":
		users, total, err := db.Users(sys, wangge.Role(*role), 1000, 0)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSERNAME\tNAME\tROLE\tUNITS")
		for _, u := range users {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.Name, u.Role, strings.Join(u.Units, ","))
		}
		tw.Flush()
		if total > len(users) {
			fmt.Fprintf(env.Stdout, "(%d of %d shown)\n", len(users), total)
		}
		return nil
	}
	return usageError{fmt.Sprintf("user: unknown subcommand %q", args[0])}
}

func roleList() string {
	var s []string
	for _, r := range wangge.Roles {
		s = append(s, string(r))
	}
	return strings.Join(s, ", ")
}

// password takes the flag, else WANGGE_PASSWORD, else one line of standard
// input; with none of them it fails rather than wait.
func (env *Env) password(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if v := os.Getenv("WANGGE_PASSWORD"); v != "" {
		return v, nil
	}
	if env.Stdin == nil {
		return "", wangge.FieldError("password", "required: --password, WANGGE_PASSWORD or standard input")
	}
	if f, ok := env.Stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprint(env.Stderr, "password: ")
		}
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", wangge.FieldError("password", "required: --password, WANGGE_PASSWORD or standard input")
	}
	_ = err // a last line without a newline is fine
	return line, nil
}

func (env *Env) apikeyCmd(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError{"apikey: create, list or revoke"}
	}
	var c Config
	fs := flag.NewFlagSet("apikey "+args[0], flag.ContinueOnError)
	c.flags(fs, "wangge-data")
	name := fs.String("name", "", "who the key is for (an Open311 client)")
	sync := fs.Bool("sync", false, "a system that owns part of its cases' life (a 311 or 12345 platform, a replay): may set its own timestamps and report cases closed")
	if err := parse(fs, args[1:], env.Stderr); err != nil {
		return err
	}
	db, err := openCurrent(ctx, &c)
	if err != nil {
		return err
	}
	defer db.Close()
	sys := System(ctx)
	switch args[0] {
	case "create":
		create := db.CreateAPIKey
		if *sync {
			create = db.CreateSyncKey
		}
		key, err := create(sys, *name)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "api_key: %s\n", key)
		return nil
	case "revoke":
		if err := db.RevokeAPIKey(sys, *name); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "revoked the keys of %s\n", *name)
		return nil
	case "list":
		keys, err := db.APIKeys(sys)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tSYNC\tCREATED\tREVOKED")
		for _, k := range keys {
			revoked := ""
			if k.RevokedAt != nil {
				revoked = k.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s\t%v\t%s\t%s\n", k.ID, k.Name, k.Sync, k.CreatedAt.Format(time.RFC3339), revoked)
		}
		return tw.Flush()
	}
	return usageError{fmt.Sprintf("apikey: unknown subcommand %q", args[0])}
}
